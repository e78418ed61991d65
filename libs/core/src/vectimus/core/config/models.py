"""The pydantic models of every config section. Unknown keys are errors."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from vectimus.core.audit.settings import AuditSettings
from vectimus.core.bundles.trust import PUBLIC_KEY_FORMAT, PUBLIC_KEY_PATTERN
from vectimus.core.escalation.settings import EscalationSettings
from vectimus.core.receipts.settings import ReceiptSettings

Level = Literal["deny", "escalate", "observe"]


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class PolicySettings(_Section):
    # Replaces the bundled packs when set (VECTIMUS_POLICY_DIR); extra_dirs add to them.
    dir: Path | None = None
    extra_dirs: tuple[Path, ...] = ()
    disabled_packs: tuple[str, ...] = ()
    # Signed bundles (docs/bundles.md). These three are user-level only (see tighten.py):
    # they decide which policy sets are accepted at all.
    trusted_keys: tuple[str, ...] = ()
    bundle_url: str = Field(default="", pattern=r"^(https?://\S+)?$")
    bundle_poll_s: float = Field(default=30.0, gt=0, le=86400)

    @field_validator("trusted_keys")
    @classmethod
    def _public_keys(cls, keys: tuple[str, ...]) -> tuple[str, ...]:
        for key in keys:
            if PUBLIC_KEY_PATTERN.fullmatch(key) is None:
                raise ValueError(f"{key[:80]!r} is not a public key: expected {PUBLIC_KEY_FORMAT}")
        return keys

    @model_validator(mode="after")
    def _one_source(self) -> PolicySettings:
        if self.bundle_url and self.dir is not None:
            raise ValueError(
                "bundle_url and dir (VECTIMUS_POLICY_DIR, --policy-dir) are alternatives: set one"
            )
        if self.bundle_url and not self.trusted_keys:
            raise ValueError(
                "bundle_url needs trusted_keys: a bundle fetched over the network is only "
                "installed when a key you trust signed it"
            )
        return self


class RuleSettings(_Section):
    disabled: tuple[str, ...] = ()
    enforcement: dict[str, Level] = Field(default_factory=dict)


class McpSettings(_Section):
    allowed_servers: tuple[str, ...] = ()


class LimitSettings(_Section):
    content_inspection_max_lines: int = Field(default=5000, ge=1, le=1_000_000)
    excessive_turns_threshold: int = Field(default=50, ge=1)
    # Per session: subagent spawns and agent messages allowed, and how long an idle
    # session's counts are kept (docs/limits.md).
    session_spawn_limit: int = Field(default=10, ge=0, le=1_000_000)
    session_message_limit: int = Field(default=50, ge=0, le=1_000_000)
    session_ttl_seconds: int = Field(default=3600, ge=60, le=30 * 86400)


class TrustSettings(_Section):
    # Projects (by path) whose .vectimus/config.toml may also loosen governance.
    projects: tuple[Path, ...] = ()


class IdentitySettings(_Section):
    principal: str = ""
    persona: str = ""
    groups: tuple[str, ...] = ()
    identity_type: Literal["human", "agent"] = "agent"


class ServerClientSettings(_Section):
    """``[server]`` as the hook shim reads it: ``url`` of the team gateway, if any.

    Only the user-level config (or VECTIMUS_SERVER_URL) may set it: a project that could
    name its own gateway could redirect its own governance (see ``tighten.py``). The other
    keys of the table configure the gateway itself (host, port, api_keys, ...) and are
    validated by the gateway's own settings model, so they are let through here.
    """

    model_config = ConfigDict(extra="allow", frozen=True)

    url: str = Field(default="", pattern=r"^(https?://[^\s/]+.*)?$")


class HookSettings(_Section):
    # Print an explicit "allow" instead of deferring to the tool's own permission flow.
    explicit_allow: bool = False


class Settings(_Section):
    observe: bool = False
    policies: PolicySettings = PolicySettings()
    rules: RuleSettings = RuleSettings()
    mcp: McpSettings = McpSettings()
    limits: LimitSettings = LimitSettings()
    trust: TrustSettings = TrustSettings()
    identity: IdentitySettings = IdentitySettings()
    hook: HookSettings = HookSettings()
    server: ServerClientSettings = ServerClientSettings()
    receipts: ReceiptSettings = ReceiptSettings()
    audit: AuditSettings = AuditSettings()
    escalation: EscalationSettings = EscalationSettings()
