"""What the audit sink makes of one signed receipt: the dashboard's event, redacted.

The audit record itself is made by :class:`vectimus.core.audit.AuditLog` (redaction,
content digests); this module only builds the small :class:`EventRecord` that every
gateway streams on SSE /events.
"""

from __future__ import annotations

from collections.abc import Sequence

from vectimus.core.audit.redact import SecretPattern, redact_text
from vectimus.core.bus.messages import EventRecord, ReceiptRecord
from vectimus.core.events import Action

SUMMARY_CAP = 200


def summary(action: Action) -> str:
    """One line naming what was attempted: the command, path or URL (unredacted)."""
    for value in (action.command, action.file_path, action.url):
        if value:
            return " ".join(value.split())
    if action.mcp_server:
        return f"{action.mcp_server}/{action.mcp_tool or ''}"
    return action.raw_tool_name


def event_record(
    found: ReceiptRecord, recorded_at: str, patterns: Sequence[SecretPattern]
) -> EventRecord:
    """The redacted event for ``found``. Secrets are masked before the summary is cut, so a
    cut can never leave half a secret unmasked."""
    text, _ = redact_text(summary(found.event.action), patterns)
    if len(text) > SUMMARY_CAP:
        text = text[: SUMMARY_CAP - 1] + "…"
    return EventRecord(
        receipt_id=found.receipt.receipt_id,
        recorded_at=recorded_at,
        source=found.event.source.tool,
        principal=found.event.identity.principal,
        caller=found.caller or found.event.identity.principal,
        action_type=found.decision.action_type,
        summary=text,
        decision=found.decision.decision,
        matched_policy_ids=tuple(found.decision.matched_policy_ids),
        degraded=found.degraded,
        escalation_of=found.decision.escalation_of,
    )
