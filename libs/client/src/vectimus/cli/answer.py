"""Evaluate one raw payload and render the answer: shared by the inline hook and the daemon.

The two differ only in where the runtime comes from (``runtime_for``): the inline hook
resolves it from the snapshot cache, the daemon from its warm engines. Everything else (the
fail-closed handling, the rendering, the trail event) is this one code path, so their
answers are the same.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import msgspec

from vectimus.core.errors import VectimusError
from vectimus.core.events import Decision, Event, Identity
from vectimus.core.jsondecode import DECODE_ERRORS
from vectimus.core.protocol import render
from vectimus.core.snapshot import Snapshot

if TYPE_CHECKING:
    from vectimus.core.runtime import Runtime
    from vectimus.core.sessions import LocalSessionCounter, SessionCounts

RuntimeFor = Callable[[Path], "Runtime"]


@dataclass
class Outcome:
    """What one hook call decided, and what the trail needs to record it."""

    decision: Decision
    event: Event | None = None
    snapshot: Snapshot | None = None
    explicit_allow: bool = False
    # Lines for stderr (project settings that were refused), printed by the caller.
    warnings: list[str] = field(default_factory=list)


def _deny(message: str) -> Decision:
    from vectimus.core.receipts.ids import new_receipt_id

    receipt_id = new_receipt_id()
    return Decision(
        decision="deny",
        reason=f"Vectimus denied this call: {message}. Receipt: {receipt_id}",
        action_type="shell_command",
        receipt_id=receipt_id,
    )


def _call_cwd(payload: Any, default: Path) -> Path:
    if isinstance(payload, dict):
        for key in ("cwd", "workspace_roots"):
            value = payload.get(key)
            value = value[0] if isinstance(value, list) and value else value
            if isinstance(value, str) and value.startswith("/"):
                return Path(value)
    return default


def _build_runtime(cwd: Path) -> Runtime:
    from vectimus.core.runtime import build_runtime

    return build_runtime(cwd)


def _counts(sessions: LocalSessionCounter | None, event: Event, ttl_s: int) -> SessionCounts | None:
    """The session's counts with this call added; None when nothing counts here."""
    from vectimus.core.sessions import call_of

    call = call_of(event, "") if sessions is not None else None
    if sessions is None or call is None:
        return None
    return sessions.count_now([call], ttl_s=ttl_s)[0]


def decide(
    source: str,
    raw: bytes,
    *,
    cwd: Path,
    runtime_for: RuntimeFor | None = None,
    sessions: LocalSessionCounter | None = None,
) -> Outcome:
    """The decision for one raw payload; every failure is a deny that names it.

    ``sessions`` counts the call into its session before it is evaluated (the daemon's
    memory, the inline hook's files)."""
    try:
        payload: Any = msgspec.json.decode(raw)
    except DECODE_ERRORS as exc:
        return Outcome(_deny(f"the hook payload is not valid JSON ({exc})"))
    from vectimus.core.normalise import normalise

    try:
        runtime = (runtime_for or _build_runtime)(_call_cwd(payload, cwd))
    except VectimusError as exc:
        return Outcome(_deny(f"the Vectimus configuration or policies could not be loaded: {exc}"))
    snapshot = runtime.snapshot
    warnings = [
        f"vectimus: ignored a loosening project setting: {line}" for line in snapshot.refused
    ]
    try:
        event = normalise(source, payload, identity=runtime.identity)
    except VectimusError as exc:
        decision = runtime.pipeline.refuse(str(exc))
        return Outcome(decision, None, snapshot, snapshot.explicit_allow, warnings)
    session = _counts(sessions, event, runtime.pipeline.limits.session_ttl_s)
    decision = runtime.pipeline.evaluate(event, session=session)
    return Outcome(decision, event, snapshot, snapshot.explicit_allow, warnings)


def answer_payload(
    source: str,
    raw: bytes,
    *,
    cwd: Path,
    runtime_for: RuntimeFor | None = None,
    sessions: LocalSessionCounter | None = None,
) -> tuple[Outcome, dict[str, Any] | None, int]:
    try:
        outcome = decide(source, raw, cwd=cwd, runtime_for=runtime_for, sessions=sessions)
    except Exception as exc:  # noqa: BLE001 - the hook must answer, and answer deny
        outcome = Outcome(_deny(f"internal error: {type(exc).__name__}: {exc}"))
    answer, status = render(source, outcome.decision, explicit_allow=outcome.explicit_allow)
    return outcome, answer, status


def answer_bytes(answer: dict[str, Any] | None) -> bytes:
    """What the hook prints: one JSON line, or nothing (the tool's own flow applies)."""
    return b"" if answer is None else (json.dumps(answer) + "\n").encode()


def trail_event(source: str, raw: bytes, outcome: Outcome) -> Event:
    """The event to record: the normalised one, or a stand-in for an unparsed payload."""
    from vectimus.core.record import unparsed_event

    identity = outcome.snapshot.identity if outcome.snapshot else Identity()
    return outcome.event or unparsed_event(source, raw, identity)


def record(source: str, raw: bytes, outcome: Outcome) -> None:
    """Sign a receipt and append the audit record. Errors go to stderr, never to stdout."""
    try:
        from vectimus.core.record import Recorder

        event = trail_event(source, raw, outcome)
        recorder = Recorder(outcome.snapshot)
        recorder.record(event, outcome.decision)
        recorder.close()
    except Exception as exc:  # noqa: BLE001 - report, the answer has been given already
        print(
            f"vectimus: could not record decision {outcome.decision.receipt_id}: {exc}",
            file=sys.stderr,
        )


def record_detached(source: str, raw: bytes, outcome: Outcome) -> None:
    """Record in a forked child so the agent tool is not kept waiting for the trail."""
    if os.environ.get("VECTIMUS_RECORD_INLINE") == "1" or not hasattr(os, "fork"):
        record(source, raw, outcome)
        return
    if os.fork() != 0:
        return
    try:
        os.setsid()
        # Let go of the tool's pipes (it waits for them to close); problems go to a log.
        devnull = os.open(os.devnull, os.O_RDWR)
        os.dup2(devnull, 0)
        os.dup2(devnull, 1)
        os.dup2(_error_log(), 2)
        record(source, raw, outcome)
    finally:
        os._exit(0)


def _error_log() -> int:
    from vectimus.core.paths import ensure_private_dir, vectimus_home

    try:
        directory = ensure_private_dir(vectimus_home() / "logs")
        return os.open(directory / "hook-errors.log", os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    except OSError:
        return os.open(os.devnull, os.O_WRONLY)
