"""Escalations: how an "escalate" decision is answered (``[escalation]``).

``ask`` (the default) answers with the agent tool's own "ask", so the human at the keyboard
decides; ``approval`` makes the gateway hold the call and ask the configured approvers.
Only the settings live in the core, because every process validates the whole config; the
approval workflow itself is the gateway's (:mod:`vectimus.gateway.approvals`).
"""

from vectimus.core.escalation.settings import (
    EscalationSettings,
    PagerDutyApprover,
    SlackApprover,
    WebhookApprover,
)

__all__ = ["EscalationSettings", "PagerDutyApprover", "SlackApprover", "WebhookApprover"]
