"""Per-session counters: what is counted, the counts, and the facts Cedar sees.

Every call with a session id counts once as a tool call; a subagent spawn and an agent
message count under their own names as well. The counts include the call being decided, so
with ``session_spawn_limit = 10`` the eleventh spawn sees ``spawn_count == 11``.

Counting is I/O (Redis, a file, the daemon's memory) and happens before evaluation, at the
edge; the pipeline only receives the counts. A counter that fails does not raise: it returns
counts with ``error`` set, and the pipeline escalates the calls that need them.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Literal, NamedTuple, Protocol

import msgspec

from vectimus.core.events import Event

CountKind = Literal["spawn", "message", "tool"]
# The actions whose rules read the counts: their context carries ``session``, and a failed
# count escalates them instead of letting them through unchecked.
COUNTED_ACTIONS = frozenset({"agent_spawn", "agent_message"})
_KINDS: dict[str, CountKind] = {"agent_spawn": "spawn", "agent_message": "message"}


class SessionCall(NamedTuple):
    """One call to count. ``call_id`` makes a count idempotent where the counter dedupes
    (a request delivered twice to the evaluators counts once)."""

    session: str
    kind: CountKind
    call_id: str


class SessionCounts(msgspec.Struct, frozen=True, kw_only=True):
    """A session's counts after the call was added; ``error`` says why there are none."""

    spawns: int = 0
    messages: int = 0
    tool_calls: int = 0
    error: str = ""


class SessionCounter(Protocol):
    """Counts calls for a server (the evaluators, the gateway's in-process fallback)."""

    async def count(self, calls: Sequence[SessionCall], *, ttl_s: int) -> list[SessionCounts]:
        """The counts after each call, in order; never raises (``error`` is set instead)."""
        ...


class LocalSessionCounter(Protocol):
    """Counts calls on the developer's machine (the daemon, the inline hook, ``eval``)."""

    def count_now(self, calls: Sequence[SessionCall], *, ttl_s: int) -> list[SessionCounts]:
        """As :meth:`SessionCounter.count`, for a caller that is not on an event loop."""
        ...


def kind_of(action_type: str) -> CountKind:
    return _KINDS.get(action_type, "tool")


def session_key(source: str, session: str) -> str:
    """A fixed-size key for a session: the id is the agent tool's, of any length or bytes."""
    return hashlib.sha256(f"{source}\0{session}".encode()).hexdigest()[:32]


def call_of(event: Event, call_id: str) -> SessionCall | None:
    """What ``event`` adds to its session's counts; None when it names no session."""
    session = event.source.session_id
    if not session:
        return None
    key = session_key(event.source.tool, session)
    return SessionCall(key, kind_of(event.action.action_type), call_id)


def failed(error: str, count: int) -> list[SessionCounts]:
    """``count`` results that all say counting failed, and why."""
    return [SessionCounts(error=error)] * count


def added(counts: SessionCounts, kind: CountKind) -> SessionCounts:
    """``counts`` with one more call of ``kind``."""
    return SessionCounts(
        spawns=counts.spawns + (kind == "spawn"),
        messages=counts.messages + (kind == "message"),
        tool_calls=counts.tool_calls + 1,
    )


def session_facts(
    counts: SessionCounts | None, *, spawn_limit: int, message_limit: int
) -> dict[str, int]:
    """The ``context.session`` record: the counts and the configured limits beside them, so
    the packs' rules and users' own compare the two in Cedar."""
    found = counts or SessionCounts()
    return {
        "spawn_count": found.spawns,
        "message_count": found.messages,
        "tool_call_count": found.tool_calls,
        "spawn_limit": spawn_limit,
        "message_limit": message_limit,
    }
