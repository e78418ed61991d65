"""Pending approvals in Redis, shared by every gateway replica.

One hash per escalated call, ``vectimus:approval:<receipt id>``: the held call (msgpack), its
status, its deadline, and once decided, who decided, their note and the receipt id that
records it. Opening and resolving are Lua scripts, so the deadline is Redis's clock (one
clock for every replica) and "decide if still pending" is one atomic step: when an approval
and the timeout race, exactly one of them wins.

The holding replica polls the hash (a few times a second) rather than subscribing: it holds
no connection while it waits, survives a reconnect without losing the answer, and the
approval latency it adds is far below a human's. The hash outlives the deadline by a day,
so a late approval is told that it came too late instead of "unknown".
"""

from __future__ import annotations

import asyncio
from typing import Any

import msgspec

from vectimus.core.bus.redis import RedisBus, Script
from vectimus.gateway.approvals.store import (
    Outcome,
    PendingApproval,
    Resolution,
    Ruling,
    Status,
)

KEY_PREFIX = "vectimus:approval:"
KEEP_S = 86400
POLL_S = 0.2
# The words the scripts store and answer, as the types that name them.
_SETTLED: dict[str, Status] = {"allow": "allow", "deny": "deny", "timeout": "timeout"}
_OUTCOMES: dict[str, Outcome] = {
    "resolved": "resolved",
    "expired": "expired",
    "decided": "decided",
    "unknown": "unknown",
}
_FIELDS = ("status", "approver", "approver_key", "note", "ruling", "decided_ms")

_NOW = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
"""

_OPEN = Script(
    _NOW
    + """
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], 'record', ARGV[1], 'status', 'pending',
           'expires_ms', tostring(now + tonumber(ARGV[2])))
redis.call('EXPIRE', KEYS[1], ARGV[3])
return 1
"""
)

_RESOLVE = Script(
    _NOW
    + """
if redis.call('EXISTS', KEYS[1]) == 0 then return {'unknown'} end
local f = redis.call('HMGET', KEYS[1], 'status', 'expires_ms', 'approver', 'approver_key',
                     'note', 'ruling', 'decided_ms')
if f[1] ~= 'pending' then return {'decided', f[1], f[3], f[4], f[5], f[6], f[7]} end
local outcome, status, approver, key, note = 'resolved', ARGV[1], ARGV[2], ARGV[3], ARGV[4]
if status ~= 'timeout' and now >= tonumber(f[2]) then
  outcome, status, approver, key, note = 'expired', 'timeout', '', '', ''
end
redis.call('HSET', KEYS[1], 'status', status, 'approver', approver, 'approver_key', key,
           'note', note, 'ruling', ARGV[5], 'decided_ms', tostring(now))
return {outcome, status, approver, key, note, ARGV[5], tostring(now),
        redis.call('HGET', KEYS[1], 'record')}
"""
)


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value or "")


def _ruling(fields: list[Any]) -> Ruling:
    """A ruling from ``[status, approver, approver_key, note, ruling, decided_ms]``."""
    status = _SETTLED.get(_text(fields[0]))
    if status is None:
        raise ValueError(f"an approval record holds an unknown status {_text(fields[0])!r}")
    return Ruling(
        status=status,
        approver=_text(fields[1]),
        approver_key=_text(fields[2]),
        note=_text(fields[3]),
        receipt_id=_text(fields[4]),
        decided_ms=int(_text(fields[5]) or 0),
    )


class RedisApprovalStore:
    def __init__(self, bus: RedisBus, *, poll_s: float = POLL_S) -> None:
        self.bus = bus
        self.poll_s = poll_s

    async def _script(self, script: Script, receipt_id: str, args: list[Any]) -> Any:
        return (await self.bus.run_scripts([(script, [KEY_PREFIX + receipt_id], args)]))[0]

    async def _fields(self, receipt_id: str) -> list[Any]:
        found: list[Any] = (await self.bus.execute([("HMGET", KEY_PREFIX + receipt_id, *_FIELDS)]))[
            0
        ]
        return found

    async def open(self, pending: PendingApproval) -> None:
        timeout_ms = int(pending.timeout_s * 1000)
        opened = await self._script(
            _OPEN,
            pending.receipt_id,
            [msgspec.msgpack.encode(pending), timeout_ms, int(pending.timeout_s) + KEEP_S],
        )
        if not opened:
            raise ValueError(f"an approval is already held under {pending.receipt_id}")

    async def resolve(self, receipt_id: str, wanted: Ruling) -> Resolution:
        reply = await self._script(
            _RESOLVE,
            receipt_id,
            [wanted.status, wanted.approver, wanted.approver_key, wanted.note, wanted.receipt_id],
        )
        outcome = _OUTCOMES.get(_text(reply[0]))
        if outcome is None:
            raise ValueError(f"the approval script answered {_text(reply[0])!r}")
        if outcome == "unknown":
            return Resolution(outcome="unknown")
        ruling = _ruling(reply[1:7])
        if outcome == "decided":
            return Resolution(outcome="decided", ruling=ruling)
        pending = msgspec.msgpack.decode(reply[7], type=PendingApproval)
        return Resolution(outcome=outcome, ruling=ruling, pending=pending)

    async def wait(self, receipt_id: str, timeout_s: float) -> Ruling | None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout_s
        while True:
            fields = await self._fields(receipt_id)
            status = _text(fields[0])
            if status and status != "pending":
                return _ruling(fields)
            if not status:
                return None  # nothing held under this id (expired from Redis, or never opened)
            remaining = deadline - loop.time()
            if remaining <= 0:
                return None
            await asyncio.sleep(min(self.poll_s, remaining))

    async def peek(self, receipt_id: str) -> tuple[bool, Ruling | None]:
        fields = await self._fields(receipt_id)
        status = _text(fields[0])
        return (bool(status), _ruling(fields) if status and status != "pending" else None)

    async def close(self) -> None:
        return None  # the bus is the gateway's; it closes it
