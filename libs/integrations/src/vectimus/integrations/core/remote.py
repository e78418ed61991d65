"""Asking a team gateway first, with the hook shim's own gateway call.

The call goes as the payload that :mod:`vectimus.core.normalise.frameworks` decodes, under
``X-Vectimus-Source: langgraph`` or ``google-adk``. The answer is trusted only when the shim's
parser accepts it; anything else (a refused connection, a timeout, a non-200, garbage) makes
the governor evaluate locally, never allow. After a failure the gateway is left alone for
``retry_after`` seconds, so an agent does not wait out a timeout on every tool call while the
gateway is away.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, cast

import msgspec

from vectimus.client import gateway, userconf
from vectimus.core.events import Decision, DecisionKind, Event
from vectimus.core.paths import user_config_file

logger = logging.getLogger("vectimus.integrations")

DEFAULT_TIMEOUT = 5.0


@dataclass(frozen=True)
class GatewaySettings:
    url: str
    api_key: str = ""
    timeout: float = DEFAULT_TIMEOUT

    @classmethod
    def resolve(
        cls,
        url: str | None,
        api_key: str | None,
        timeout: float | None,
        environ: Mapping[str, str] | None = None,
    ) -> GatewaySettings | None:
        """Arguments first, then what the hook shim reads: VECTIMUS_SERVER_URL (else ``[server]
        url`` of the user config), VECTIMUS_API_KEY and VECTIMUS_TIMEOUT.

        ``url=""`` switches the gateway off even when the environment names one.
        """
        env = os.environ if environ is None else environ
        if url is not None:
            chosen = url
        elif "VECTIMUS_SERVER_URL" in env:
            chosen = env["VECTIMUS_SERVER_URL"]
        else:
            chosen = _configured_url()
        if not chosen.strip():
            return None
        key = env.get("VECTIMUS_API_KEY", "") if api_key is None else api_key
        if timeout is None:
            try:
                timeout = float(env.get("VECTIMUS_TIMEOUT", "") or DEFAULT_TIMEOUT)
            except ValueError:
                timeout = DEFAULT_TIMEOUT
        return cls(url=chosen.strip(), api_key=key, timeout=timeout)


def _configured_url() -> str:
    """``[server] url`` of the user-level config (a project config may not set it)."""
    found = userconf.read(str(user_config_file()), [("server", "url")]).get(("server", "url"))
    return found if isinstance(found, str) else ""


def _encode_hook(value: object) -> str:
    return repr(value)


_encoder = msgspec.json.Encoder(enc_hook=_encode_hook)


def payload_of(event: Event, args: object) -> dict[str, Any]:
    """The gateway payload for an event (the arguments as the framework passed them)."""
    action = event.action
    payload: dict[str, Any] = {
        "tool_name": action.raw_tool_name,
        "tool_input": args,
        "session_id": event.source.session_id,
        "version": event.source.version,
        "cwd": event.context.cwd,
    }
    agent = action.extra.get("agent_name")
    if isinstance(agent, str):
        payload["agent_name"] = agent
    if action.action_type == "mcp_tool" and action.mcp_server is not None:
        payload["mcp_server"] = action.mcp_server
        payload["mcp_tool"] = action.mcp_tool or ""
    if event.identity.principal != "unknown":
        payload["user"] = event.identity.principal
    return payload


class Gateway:
    """One team gateway; ``failures`` counts the answers that were not trusted."""

    def __init__(self, settings: GatewaySettings, *, retry_after: float = 30.0) -> None:
        self.settings = settings
        self.retry_after = retry_after
        self.failures = 0
        self.last_problem = ""
        self._skip_until = 0.0
        self._lock = threading.Lock()

    @property
    def resting(self) -> bool:
        """True while the gateway is left alone after a failure."""
        return time.monotonic() < self._skip_until

    def decide(self, event: Event, args: object) -> Decision | None:
        """The gateway's decision, or None when the governor must evaluate locally."""
        if self.resting:
            return None
        try:
            body = _encoder.encode(payload_of(event, args))
            verdict = gateway.evaluate(
                self.settings.url,
                event.source.tool,
                body,
                api_key=self.settings.api_key,
                timeout=self.settings.timeout,
            )
        except Exception as exc:  # noqa: BLE001 - any failure means "evaluate locally"
            self._failed(exc)
            return None
        return Decision(
            decision=cast(DecisionKind, verdict.kind),
            reason=verdict.reason,
            action_type=event.action.action_type,
            matched_policy_ids=tuple(verdict.matched),
            receipt_id=verdict.receipt_id,
        )

    def _failed(self, exc: Exception) -> None:
        problem = str(exc) if isinstance(exc, gateway.GatewayUnavailable) else repr(exc)
        with self._lock:
            self.failures += 1
            self._skip_until = time.monotonic() + self.retry_after
            repeated = problem == self.last_problem
            self.last_problem = problem
        if not repeated:
            logger.warning(
                "vectimus: the gateway at %s gave no usable answer (%s); "
                "evaluating locally, and trying it again in %.0f s",
                self.settings.url,
                problem,
                self.retry_after,
            )
