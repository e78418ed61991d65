"""The Governor: one framework tool call in, one decision out.

It is the hook path without the hook: the call is mapped to an Event by the framework table
of :mod:`vectimus.core.normalise.frameworks`, decided by the same Pipeline (or first by a
team gateway, when one is set), and left in the same trail of signed receipts and audit
records. The identity is the configured one, always as an agent.

Like the hook it fails closed: a configuration that does not load, or an error while
deciding, is a deny that names the problem. Unlike a hook process it lives long, so it checks
every ``reload_interval`` seconds whether a config or policy file has changed, and rebuilds
its runtime when one has.
"""

from __future__ import annotations

import asyncio
import functools
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import msgspec

from vectimus.core.events import SOURCES, Action, Decision, Event, Identity, Source
from vectimus.core.normalise.frameworks import LANGGRAPH, framework_event
from vectimus.core.receipts.ids import new_receipt_id
from vectimus.core.runtime import Runtime, build_runtime
from vectimus.core.snapshot import Snapshot, dependency

from .remote import Gateway, GatewaySettings
from .trail import Trail

Via = Literal["local", "gateway"]


def agent_message(decision: Decision) -> str:
    """What the agent is told instead of the tool's result: the reason and the alternative."""
    reason = decision.reason
    alternative = decision.suggested_alternative
    if alternative and alternative not in reason:
        return f"{reason.rstrip()} Suggested alternative: {alternative}"
    return reason


@dataclass(frozen=True, slots=True)
class Check:
    """The answer for one tool call, and the Event it was made for."""

    decision: Decision
    event: Event
    via: Via

    @property
    def allowed(self) -> bool:
        return self.decision.decision == "allow"

    @property
    def message(self) -> str:
        return agent_message(self.decision)

    def as_dict(self) -> dict[str, object]:
        """The decision as a plain dict (tool results, artifacts, logs)."""
        d = self.decision
        return {
            "decision": d.decision,
            "reason": d.reason,
            "suggested_alternative": d.suggested_alternative,
            "matched_policy_ids": list(d.matched_policy_ids),
            "receipt_id": d.receipt_id,
        }


def _stale(snapshot: Snapshot) -> bool:
    return any(dependency(Path(dep[0])) != tuple(dep) for dep in snapshot.deps)


def _refusal(message: str, action: Action) -> Decision:
    receipt_id = new_receipt_id()
    return Decision(
        decision="deny",
        reason=f"Vectimus denied this call: {message}. Receipt: {receipt_id}",
        action_type=action.action_type,
        receipt_id=receipt_id,
    )


class Governor:
    """Decides framework tool calls for one source (``langgraph`` or ``google-adk``).

    ``server_url`` / ``api_key`` / ``timeout`` default to VECTIMUS_SERVER_URL,
    VECTIMUS_API_KEY and VECTIMUS_TIMEOUT; ``server_url=""`` means local only. ``runtime``
    pins a prebuilt runtime (no reloading). ``record=False`` leaves no trail (tests, dry runs).
    """

    def __init__(
        self,
        source: str = LANGGRAPH,
        *,
        cwd: str | Path | None = None,
        server_url: str | None = None,
        api_key: str | None = None,
        timeout: float | None = None,
        runtime: Runtime | None = None,
        record: bool = True,
        version: str = "",
        reload_interval: float = 2.0,
        gateway_retry_after: float = 30.0,
        environ: Mapping[str, str] | None = None,
    ) -> None:
        if source not in SOURCES:
            raise ValueError(f"unknown source {source!r}; valid sources: {', '.join(SOURCES)}")
        self.source = source
        self.version = version
        self.cwd = Path(cwd) if cwd is not None else Path.cwd()
        self._environ = environ
        settings = GatewaySettings.resolve(server_url, api_key, timeout, environ)
        self.gateway = Gateway(settings, retry_after=gateway_retry_after) if settings else None
        self.trail: Trail | None = Trail() if record else None
        self._pinned = runtime is not None
        self._runtime = runtime
        self._load_error = ""
        self._reload_interval = reload_interval
        self._next_check = 0.0
        self._reload_lock = threading.Lock()
        if runtime is None:
            self._reload()
        self._next_check = time.monotonic() + reload_interval

    # --- deciding ---------------------------------------------------------------------------

    def check(
        self,
        name: str,
        args: object,
        *,
        mcp_server: str | None = None,
        mcp_tool: str | None = None,
        session_id: str = "",
        agent_name: str = "",
    ) -> Check:
        """Decide one tool call. Blocks for the gateway's answer when a gateway is set."""
        runtime = self._current()
        event = self._event(
            runtime,
            name,
            args,
            mcp_server=mcp_server,
            mcp_tool=mcp_tool,
            session_id=session_id,
            agent_name=agent_name,
        )
        if self.gateway is not None:
            decided = self.gateway.decide(event, args)
            if decided is not None:
                return Check(decided, event, "gateway")
        return self._local(runtime, event)

    async def acheck(
        self,
        name: str,
        args: object,
        *,
        mcp_server: str | None = None,
        mcp_tool: str | None = None,
        session_id: str = "",
        agent_name: str = "",
    ) -> Check:
        """:meth:`check` for async code: a call that may wait on the gateway runs in a thread."""
        call = functools.partial(
            self.check,
            name,
            args,
            mcp_server=mcp_server,
            mcp_tool=mcp_tool,
            session_id=session_id,
            agent_name=agent_name,
        )
        if self.gateway is None or self.gateway.resting:
            return call()
        return await asyncio.to_thread(call)

    def flush(self, timeout: float | None = None) -> bool:
        """Wait until every decision so far has its receipt and audit record."""
        return self.trail.flush(timeout) if self.trail is not None else True

    def close(self) -> None:
        """Flush and close the trail (also done when the interpreter exits)."""
        if self.trail is not None:
            self.trail.close()

    @property
    def runtime(self) -> Runtime | None:
        """The runtime in use, or None while the configuration does not load."""
        return self._current()

    # --- internals --------------------------------------------------------------------------

    def _identity(self, runtime: Runtime | None) -> Identity:
        if runtime is None:
            return Identity(identity_type="agent")
        identity = runtime.identity
        if identity.identity_type != "agent":
            identity = msgspec.structs.replace(identity, identity_type="agent")
        return identity

    def _event(
        self,
        runtime: Runtime | None,
        name: str,
        args: object,
        *,
        mcp_server: str | None,
        mcp_tool: str | None,
        session_id: str,
        agent_name: str,
    ) -> Event:
        identity = self._identity(runtime)
        try:
            return framework_event(
                self.source,
                name,
                args,
                identity=identity,
                cwd=str(self.cwd),
                session_id=session_id,
                version=self.version,
                agent_name=agent_name,
                mcp_server=mcp_server,
                mcp_tool=mcp_tool,
            )
        except Exception as exc:  # noqa: BLE001 - a call that cannot be mapped is still decided
            action = Action(
                action_type="shell_command",
                raw_tool_name=str(name),
                command=str(name),
                extra={"mapping_error": f"{type(exc).__name__}: {exc}"},
            )
            return Event(
                source=Source(tool=self.source, version=self.version, session_id=session_id),
                identity=identity,
                action=action,
            )

    def _local(self, runtime: Runtime | None, event: Event) -> Check:
        if runtime is None:
            decision = _refusal(
                f"the Vectimus configuration or policies could not be loaded: {self._load_error}",
                event.action,
            )
        elif "mapping_error" in event.action.extra:
            decision = _refusal(
                f"the tool call could not be mapped ({event.action.extra['mapping_error']})",
                event.action,
            )
        else:
            try:
                decision = runtime.pipeline.evaluate(event)
            except Exception as exc:  # noqa: BLE001 - an evaluation that fails is a deny
                decision = _refusal(f"internal error: {type(exc).__name__}: {exc}", event.action)
        if self.trail is not None:
            self.trail.submit(runtime.snapshot if runtime else None, event, decision)
        return Check(decision, event, "local")

    def _current(self) -> Runtime | None:
        if not self._pinned and time.monotonic() >= self._next_check:
            self._reload()
        return self._runtime

    def _reload(self) -> None:
        """Rebuild the runtime if a file it was built from changed (or it never loaded)."""
        if not self._reload_lock.acquire(blocking=self._runtime is None):
            return  # another thread is reloading; use what there is
        try:
            current = self._runtime
            if current is not None and not _stale(current.snapshot):
                return
            try:
                self._runtime = build_runtime(self.cwd, self._environ)
                self._load_error = ""
            except Exception as exc:  # noqa: BLE001 - fail closed, and say why on every call
                self._runtime = None
                self._load_error = f"{type(exc).__name__}: {exc}"
        finally:
            self._next_check = time.monotonic() + self._reload_interval
            self._reload_lock.release()
