"""Pending approvals: what is held, how it is decided, and the in-process store.

An escalated call waits under its receipt id. It is decided exactly once, by whoever comes
first: an approver (allow or deny), or the clock (timeout, a deny). ``resolve`` is that one
atomic step; its :class:`Resolution` says whether this caller decided it (``won``), so only
the winner records the decision's receipt, and everyone else learns what it was.

An approver arriving after the deadline changes nothing: if nobody has recorded the timeout
yet (the holding gateway died), that approver's call records it, and learns it came too late.

The Redis store (:mod:`.redis_store`) gives every gateway replica the same record, so the
replica holding a call and the one taking the approval need not be the same.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Literal, Protocol

import msgspec

from vectimus.core.events import Decision, Event

Status = Literal["pending", "allow", "deny", "timeout"]
# What a resolve call found: it decided ("resolved"), it came after the deadline and recorded
# the timeout ("expired"), the call was already decided ("decided"), or nothing is held
# under that id ("unknown").
Outcome = Literal["resolved", "expired", "decided", "unknown"]
TIMEOUT: Status = "timeout"


class PendingApproval(msgspec.Struct, frozen=True, kw_only=True):
    """An escalated call as its approvers and its trail need it."""

    v: int = 1
    receipt_id: str
    request_id: str
    caller: str
    event: Event
    decision: Decision
    policy_set_hash: str = ""
    pack_versions: dict[str, str] = msgspec.field(default_factory=dict)
    timeout_s: float


class Ruling(msgspec.Struct, frozen=True, kw_only=True):
    """How a pending call was decided, by whom, and the receipt id that records it."""

    status: Status
    approver: str = ""
    approver_key: str = ""
    note: str = ""
    receipt_id: str = ""
    decided_ms: int = 0


class Resolution(msgspec.Struct, frozen=True, kw_only=True):
    outcome: Outcome
    ruling: Ruling | None = None
    pending: PendingApproval | None = None  # set for the winner, who records the decision

    @property
    def won(self) -> bool:
        return self.outcome in ("resolved", "expired")


class ApprovalStore(Protocol):
    async def open(self, pending: PendingApproval) -> None:
        """Hold ``pending`` until it is decided or ``pending.timeout_s`` has passed."""
        ...

    async def resolve(self, receipt_id: str, wanted: Ruling) -> Resolution:
        """Decide the call atomically (``wanted.status`` allow, deny or timeout)."""
        ...

    async def wait(self, receipt_id: str, timeout_s: float) -> Ruling | None:
        """The ruling once there is one, or None when ``timeout_s`` passes first."""
        ...

    async def peek(self, receipt_id: str) -> tuple[bool, Ruling | None]:
        """Whether anything is held under ``receipt_id``, and its ruling if it has one."""
        ...

    async def close(self) -> None: ...


def now_ms() -> int:
    return int(time.time() * 1000)


class _Held(msgspec.Struct):
    pending: PendingApproval
    expires_at: float
    ruling: Ruling | None = None


class MemoryApprovalStore:
    """The embedded server's store: one process, one event loop."""

    def __init__(
        self, *, clock: Callable[[], float] = time.monotonic, keep_s: float = 86400
    ) -> None:
        self._clock = clock
        self._keep_s = keep_s
        self._held: dict[str, _Held] = {}
        self._events: dict[str, asyncio.Event] = {}

    async def open(self, pending: PendingApproval) -> None:
        now = self._clock()
        self._held = {k: v for k, v in self._held.items() if v.expires_at + self._keep_s > now}
        self._held[pending.receipt_id] = _Held(pending, now + pending.timeout_s)
        self._events[pending.receipt_id] = asyncio.Event()

    async def resolve(self, receipt_id: str, wanted: Ruling) -> Resolution:
        held = self._held.get(receipt_id)
        if held is None:
            return Resolution(outcome="unknown")
        if held.ruling is not None:
            return Resolution(outcome="decided", ruling=held.ruling)
        outcome: Outcome = "resolved"
        ruling = msgspec.structs.replace(wanted, decided_ms=now_ms())
        if wanted.status != TIMEOUT and self._clock() >= held.expires_at:
            outcome = "expired"
            ruling = Ruling(status=TIMEOUT, receipt_id=wanted.receipt_id, decided_ms=now_ms())
        held.ruling = ruling
        event = self._events.pop(receipt_id, None)
        if event is not None:
            event.set()
        return Resolution(outcome=outcome, ruling=ruling, pending=held.pending)

    async def wait(self, receipt_id: str, timeout_s: float) -> Ruling | None:
        held = self._held.get(receipt_id)
        event = self._events.get(receipt_id)
        if held is None:
            return None
        if event is not None and held.ruling is None:
            try:
                await asyncio.wait_for(event.wait(), timeout_s)
            except TimeoutError:
                return None
        return held.ruling

    async def peek(self, receipt_id: str) -> tuple[bool, Ruling | None]:
        held = self._held.get(receipt_id)
        return (held is not None, held.ruling if held is not None else None)

    async def close(self) -> None:
        self._events.clear()
