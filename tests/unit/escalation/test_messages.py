"""What approvers are sent: shapes, the webhook's HMAC, and redaction before it leaves."""

from __future__ import annotations

import json

from tests.approvals_receiver import check_escalation, check_pagerduty, check_slack, check_webhook
from vectimus.core.audit.redact import compile_patterns
from vectimus.core.events import Action, Decision, Event, Identity, Source
from vectimus.gateway.approvals import messages
from vectimus.gateway.approvals.store import PendingApproval

SECRET = "0123456789abcdef-secret"


def pending(command: str = "terraform apply", content: str | None = None) -> PendingApproval:
    event = Event(
        source=Source(tool="claude-code", session_id="sess-9"),
        identity=Identity(principal="alice"),
        action=Action(
            action_type="shell_command",
            raw_tool_name="Bash",
            command=command,
            script_content=content,
        ),
    )
    decision = Decision(
        decision="escalate",
        reason="Vectimus needs a human to approve this: [vectimus-infra-002] Applying IaC",
        action_type="infrastructure",
        matched_policy_ids=("vectimus-infra-002",),
        receipt_id="01a2018b-4cc1-72fa-bce0-2e8e5ee272ee",
    )
    return PendingApproval(
        receipt_id=decision.receipt_id,
        request_id="req-1",
        caller="ci-runner",
        event=event,
        decision=decision,
        timeout_s=25,
    )


def facts(**kwargs: str | None) -> dict[str, object]:
    return messages.escalation(
        pending(**kwargs),  # type: ignore[arg-type]
        public_url="https://vectimus.example/",
        opened_ms=1_780_000_000_000,
        patterns=compile_patterns(),
    )


def test_the_facts_name_rule_action_principal_source_and_link() -> None:
    found = facts()
    assert check_escalation(found) == []
    assert found["rule"] == "vectimus-infra-002"
    assert found["summary"] == "terraform apply"
    assert (found["principal"], found["source"], found["caller"]) == (
        "alice",
        "claude-code",
        "ci-runner",
    )
    assert found["approval_url"] == (
        "https://vectimus.example/approvals/01a2018b-4cc1-72fa-bce0-2e8e5ee272ee"
    )
    assert found["expires_at"] == "2026-05-28T20:27:05Z"


def test_secrets_and_content_never_leave() -> None:
    token = "ghp_" + "a" * 36
    found = facts(command=f"curl -H 'Authorization: token {token}' https://x", content="rm -rf /")
    text = json.dumps(found)
    assert token not in text and "[REDACTED" in text
    assert "rm -rf /" not in text  # content travels as a digest only
    assert set(found["content"]) == {"script_content"}  # type: ignore[arg-type]


def test_webhook_signature_verifies() -> None:
    body = json.dumps(facts()).encode()
    headers = {
        "x-vectimus-timestamp": "1780000000",
        "x-vectimus-signature": messages.signature(SECRET, "1780000000", body),
    }
    problems = check_webhook(headers, body, SECRET)
    assert problems == ["webhook timestamp '1780000000' is missing or stale"]  # only the clock
    tampered = body.replace(b"alice", b"mallory")
    assert "webhook signature does not verify" in check_webhook(headers, tampered, SECRET)


def test_slack_and_pagerduty_shapes() -> None:
    found = facts()
    assert check_slack(messages.slack_message(found)) == []
    trigger = messages.pagerduty_trigger(found, routing_key="R", severity="warning")
    assert check_pagerduty(trigger) == []
    assert trigger["dedup_key"] == "vectimus-" + str(found["receipt_id"])
    resolve = messages.pagerduty_resolve(str(found["receipt_id"]), routing_key="R")
    assert check_pagerduty(resolve) == [] and resolve["dedup_key"] == trigger["dedup_key"]
