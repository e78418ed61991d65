"""Session counts in Redis, shared by every evaluator and gateway: one count per call.

A session is a hash (``spawns``, ``messages``, ``tool_calls``) that expires ``ttl_s`` after
its last call. One small Lua script adds a call and reads the counts back in one atomic
step, so evaluators counting the same session at the same moment never lose an update; a
batch of calls is one pipelined round trip. Each call also sets a short-lived marker keyed
by its call id (the receipt id, fixed per stream entry), so a request delivered again after
its evaluator died is not counted twice. Both keys share a hash tag, for Redis Cluster.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

from vectimus.core.bus.contract import BusError
from vectimus.core.bus.redis import RedisBus, Script
from vectimus.core.sessions.counts import SessionCall, SessionCounts, failed

KEY_PREFIX = "vectimus:session:"
# Long enough to outlast every redelivery of a request (the workers give up after about a
# minute and a half); short, because there is one marker per call.
MARKER_TTL_S = 300
_TIMEOUT_S = 2.0
_FIELDS = {"spawn": "spawns", "message": "messages", "tool": ""}

_ADD = Script("""
if ARGV[3] == '0' or redis.call('SET', KEYS[2], '1', 'NX', 'EX', ARGV[3]) then
  redis.call('HINCRBY', KEYS[1], 'tool_calls', 1)
  if ARGV[1] ~= '' then redis.call('HINCRBY', KEYS[1], ARGV[1], 1) end
  redis.call('EXPIRE', KEYS[1], ARGV[2])
end
return redis.call('HMGET', KEYS[1], 'spawns', 'messages', 'tool_calls')
""")


def _number(value: Any) -> int:
    return int(value) if value is not None else 0


class RedisSessionCounter:
    """Counts on one Redis server, through the bus's connections."""

    def __init__(self, bus: RedisBus, *, marker_ttl_s: int = MARKER_TTL_S) -> None:
        self.bus = bus
        self.marker_ttl_s = marker_ttl_s

    async def count(self, calls: Sequence[SessionCall], *, ttl_s: int) -> list[SessionCounts]:
        if not calls:
            return []
        try:
            async with asyncio.timeout(_TIMEOUT_S):
                rows = await self._run(calls, ttl_s)
        except (BusError, TimeoutError) as exc:
            error = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
            return failed(f"the session counter in Redis failed ({error})", len(calls))
        return [
            SessionCounts(spawns=_number(s), messages=_number(m), tool_calls=_number(t))
            for s, m, t in rows
        ]

    async def _run(self, calls: Sequence[SessionCall], ttl_s: int) -> list[Any]:
        scripted = []
        for call in calls:
            tag = f"{KEY_PREFIX}{{{call.session}}}"
            marker_ttl = self.marker_ttl_s if call.call_id else 0
            keys = [tag, f"{tag}:call:{call.call_id}"]
            scripted.append((_ADD, keys, [_FIELDS[call.kind], max(1, ttl_s), marker_ttl]))
        return await self.bus.run_scripts(scripted)
