"""What approvers are sent: a generic signed webhook, Slack, PagerDuty. Pure functions.

Every message carries the rule, the redacted action, the principal and source, the approval
link (``GET``) and the callback (``POST /approvals/{receipt_id}``). The action is redacted
with the audit log's patterns before it leaves the gateway: file and script content never
does, only its digest.

The webhook body is signed with HMAC-SHA256 over ``<timestamp>.<body>``; the timestamp is
sent beside it, so a receiver can refuse a replayed message (docs/escalation.md shows how
to check both).
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import msgspec

from vectimus.core.audit.redact import SecretPattern, redact_event, redact_text
from vectimus.gateway.approvals.store import PendingApproval

SIGNATURE_HEADER = "X-Vectimus-Signature"
TIMESTAMP_HEADER = "X-Vectimus-Timestamp"
MESSAGE_TYPE = "vectimus.escalation"
_TEXT_CAP = 1000
_SUMMARY_FIELDS = ("command", "file_path", "url")


def _cap(text: str, limit: int = _TEXT_CAP) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _iso(ms: float) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).isoformat().replace("+00:00", "Z")


def escalation(
    pending: PendingApproval,
    *,
    public_url: str,
    opened_ms: int,
    patterns: Sequence[SecretPattern],
) -> dict[str, Any]:
    """The facts every approver gets, redacted, as one JSON object."""
    redacted = redact_event(pending.event, patterns)
    action = redacted.event.action
    details = {k: v for k, v in msgspec.to_builtins(action).items() if v not in (None, "", {})}
    summary = next((str(details[k]) for k in _SUMMARY_FIELDS if k in details), "")
    if not summary and action.mcp_server:
        summary = f"{action.mcp_server}/{action.mcp_tool or ''}"
    url = f"{public_url.rstrip('/')}/approvals/{pending.receipt_id}"
    decision = pending.decision
    return {
        "type": MESSAGE_TYPE,
        "receipt_id": pending.receipt_id,
        "rule": decision.matched_policy_ids[0] if decision.matched_policy_ids else "",
        "rules": list(decision.matched_policy_ids),
        "reason": _cap(redact_text(decision.reason, patterns)[0]),
        "action_type": decision.action_type,
        "summary": _cap(" ".join((summary or action.raw_tool_name).split()), 300),
        "action": {k: _cap(v) if isinstance(v, str) else v for k, v in details.items()},
        "content": {name: msgspec.to_builtins(d) for name, d in redacted.content.items()},
        "principal": pending.event.identity.principal,
        "source": pending.event.source.tool,
        "session_id": pending.event.source.session_id,
        "caller": pending.caller,
        "opened_at": _iso(opened_ms),
        "expires_at": _iso(opened_ms + pending.timeout_s * 1000),
        "approval_url": url,
        "callback": {
            "method": "POST",
            "url": url,
            "auth": "an API key with the approver role, as 'Authorization: Bearer <key>'",
            "body": {"decision": "allow | deny", "approver": "<your name>", "note": "<why>"},
        },
    }


def signature(secret: str, timestamp: str, body: bytes) -> str:
    """``sha256=<hex>`` of HMAC-SHA256(secret, ``<timestamp>.<body>``)."""
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def slack_message(facts: dict[str, Any]) -> dict[str, Any]:
    """Slack's incoming-webhook format: ``text`` (the notification) and Block Kit blocks."""
    title = f"Vectimus: approval needed for {facts['action_type']} by {facts['principal']}"
    rule = facts["rule"] or "incomplete analysis"
    curl = (
        f"curl -X POST {facts['callback']['url']} -H 'Authorization: Bearer $KEY' "
        """-d '{"decision": "allow", "approver": "you", "note": "why"}'"""
    )
    return {
        "text": f"{title}: {facts['summary']}",
        "blocks": [
            {"type": "header", "text": {"type": "plain_text", "text": _cap(title, 150)}},
            {
                "type": "section",
                "text": {"type": "mrkdwn", "text": f"```{_cap(facts['summary'], 2900)}```"},
            },
            {
                "type": "section",
                "fields": [
                    {"type": "mrkdwn", "text": f"*Rule*\n{rule}"},
                    {"type": "mrkdwn", "text": f"*Source*\n{facts['source']}"},
                    {"type": "mrkdwn", "text": f"*Principal*\n{facts['principal']}"},
                    {"type": "mrkdwn", "text": f"*Expires*\n{facts['expires_at']}"},
                ],
            },
            {"type": "section", "text": {"type": "mrkdwn", "text": _cap(facts["reason"], 2900)}},
            {
                "type": "context",
                "elements": [
                    {
                        "type": "mrkdwn",
                        "text": f"<{facts['approval_url']}|Escalation {facts['receipt_id']}> · "
                        f"approve or deny: `{curl}`",
                    }
                ],
            },
        ],
    }


def pagerduty_trigger(facts: dict[str, Any], *, routing_key: str, severity: str) -> dict[str, Any]:
    """An Events API v2 trigger; the dedup key ties the later resolve to it."""
    return {
        "routing_key": routing_key,
        "event_action": "trigger",
        "dedup_key": pagerduty_dedup_key(facts["receipt_id"]),
        "payload": {
            "summary": _cap(
                f"Vectimus approval needed: {facts['action_type']} by {facts['principal']}: "
                f"{facts['summary']}",
                1024,
            ),
            "source": facts["source"],
            "severity": severity,
            "component": "vectimus",
            "group": facts["principal"],
            "class": facts["rule"] or "escalation",
            "custom_details": facts,
        },
        "client": "Vectimus",
        "client_url": facts["approval_url"],
        "links": [{"href": facts["approval_url"], "text": "Approve or deny this call"}],
    }


def pagerduty_resolve(receipt_id: str, *, routing_key: str) -> dict[str, Any]:
    return {
        "routing_key": routing_key,
        "event_action": "resolve",
        "dedup_key": pagerduty_dedup_key(receipt_id),
    }


def pagerduty_dedup_key(receipt_id: str) -> str:
    return f"vectimus-{receipt_id}"
