"""The ``[escalation]`` config section, composed by the config loader.

Only the user-level config (and ``VECTIMUS_*`` variables) may set it: approvers and their
secrets decide who can let an escalated call through, so a project cannot name its own.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, model_validator

# vectimus init installs every tool's hook with a 30 s timeout, and GitHub Copilot's own
# default is 30 s: a held call must be answered before the tool gives up on the hook (a tool
# that gives up lets the call through, or fails it, on its own terms).
DEFAULT_TIMEOUT_S = 25.0
PAGERDUTY_EVENTS_URL = "https://events.pagerduty.com/v2/enqueue"
_HTTP_URL = r"^https?://[^\s/]+\S*$"


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class WebhookApprover(_Section):
    """A JSON POST to ``url``, signed with HMAC-SHA256 under ``secret``."""

    url: str = Field(pattern=_HTTP_URL)
    secret: SecretStr = Field(min_length=16)


class SlackApprover(_Section):
    """A message in Slack's incoming-webhook format; the URL itself is the credential."""

    webhook_url: SecretStr

    @model_validator(mode="after")
    def _http(self) -> SlackApprover:
        if not self.webhook_url.get_secret_value().startswith(("https://", "http://")):
            raise ValueError("webhook_url must be an http(s) URL")
        return self


class PagerDutyApprover(_Section):
    """An Events API v2 ``trigger`` (and a ``resolve`` once decided)."""

    routing_key: SecretStr = Field(min_length=1)
    url: str = Field(default=PAGERDUTY_EVENTS_URL, pattern=_HTTP_URL)
    severity: Literal["critical", "error", "warning", "info"] = "warning"


class EscalationSettings(_Section):
    mode: Literal["ask", "approval"] = "ask"
    timeout_seconds: float = Field(default=DEFAULT_TIMEOUT_S, gt=0, le=3600)
    """How long the gateway holds a call for a decision; then it is denied."""
    public_url: str = Field(default="", pattern=r"^(https?://[^\s/]+\S*)?$")
    """The gateway's address as approvers reach it, for approval links (default: its own
    host and port)."""
    webhook: WebhookApprover | None = None
    slack: SlackApprover | None = None
    pagerduty: PagerDutyApprover | None = None

    @model_validator(mode="after")
    def _approvers(self) -> EscalationSettings:
        if self.mode == "approval" and not self.approvers:
            raise ValueError(
                "mode 'approval' needs at least one approver: [escalation.webhook], "
                "[escalation.slack] or [escalation.pagerduty]"
            )
        return self

    @property
    def approvers(self) -> tuple[str, ...]:
        """The configured approvers' names."""
        found = (("webhook", self.webhook), ("slack", self.slack), ("pagerduty", self.pagerduty))
        return tuple(name for name, approver in found if approver is not None)
