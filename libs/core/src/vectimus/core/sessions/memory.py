"""Session counts in this process: the local daemon, the embedded server, ``vectimus eval``.

Thread-safe (the daemon answers on several threads). A session is forgotten ``ttl_s``
seconds after its last call, as Redis forgets an expiring key. Recent call ids are kept, so
a call counted twice (a redelivered request in the embedded server) counts once.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Sequence

from vectimus.core.sessions.counts import SessionCall, SessionCounts, added

_RECENT_CALLS = 10_000
# Past this many live sessions the expired ones are swept; live ones are never dropped,
# because forgetting a session early would reset its counts.
_SWEEP_AT = 10_000


class MemorySessionCounter:
    def __init__(self, *, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._sessions: dict[str, tuple[SessionCounts, float]] = {}
        self._recent: OrderedDict[str, SessionCounts] = OrderedDict()

    def count_now(self, calls: Sequence[SessionCall], *, ttl_s: int) -> list[SessionCounts]:
        with self._lock:
            now = self._clock()
            if len(self._sessions) > _SWEEP_AT:
                self._sessions = {k: v for k, v in self._sessions.items() if v[1] > now}
            return [self._add(call, now, ttl_s) for call in calls]

    async def count(self, calls: Sequence[SessionCall], *, ttl_s: int) -> list[SessionCounts]:
        return self.count_now(calls, ttl_s=ttl_s)

    def _add(self, call: SessionCall, now: float, ttl_s: int) -> SessionCounts:
        seen = self._recent.get(call.call_id) if call.call_id else None
        if seen is not None:
            return seen
        current, expires = self._sessions.get(call.session, (SessionCounts(), 0.0))
        counts = added(current if expires > now else SessionCounts(), call.kind)
        self._sessions[call.session] = (counts, now + ttl_s)
        if call.call_id:
            self._recent[call.call_id] = counts
            if len(self._recent) > _RECENT_CALLS:
                self._recent.popitem(last=False)
        return counts
