"""The in-process transport: Redis Streams semantics in memory, for the embedded server.

The same contract as :class:`vectimus.core.bus.redis.RedisBus`: ordered ``"<ms>-<seq>"`` ids,
reads that block until an entry arrives, consumer groups whose entries stay pending until
acknowledged, reclaiming by idle time with delivery counts, trimming to about ``maxlen``,
and expiring values. One event loop owns an instance; nothing here is thread-safe.
"""

from __future__ import annotations

import asyncio
import bisect
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from vectimus.core.bus.contract import Delivery, NoGroupError

EntryId = tuple[int, int]


def parse_id(text: str) -> EntryId:
    """``"<ms>-<seq>"`` (or ``"<ms>"``, or ``"0"``) as a comparable pair."""
    ms, _, seq = text.partition("-")
    return int(ms), int(seq) if seq else 0


def format_id(entry: EntryId) -> str:
    return f"{entry[0]}-{entry[1]}"


@dataclass
class _Pending:
    consumer: str
    delivered_at: float
    count: int = 1


@dataclass
class _Group:
    last_delivered: EntryId
    pending: dict[EntryId, _Pending] = field(default_factory=dict)


@dataclass
class _Stream:
    ids: list[EntryId] = field(default_factory=list)
    """Ids in order; may hold deleted ids (absent from ``payloads``) until compacted."""
    payloads: dict[EntryId, bytes] = field(default_factory=dict)
    last_id: EntryId = (0, 0)
    groups: dict[str, _Group] = field(default_factory=dict)

    def after(self, start: EntryId, count: int) -> list[tuple[EntryId, bytes]]:
        found: list[tuple[EntryId, bytes]] = []
        index = bisect.bisect_right(self.ids, start)
        while index < len(self.ids) and len(found) < count:
            entry = self.ids[index]
            payload = self.payloads.get(entry)
            if payload is not None:
                found.append((entry, payload))
            index += 1
        return found

    def delete(self, entry: EntryId) -> None:
        if self.payloads.pop(entry, None) is not None and len(self.ids) > 2 * len(self.payloads):
            self.ids = [i for i in self.ids if i in self.payloads]

    def trim(self, maxlen: int) -> None:
        """Drop the oldest entries once the stream is 10% past ``maxlen`` (like MAXLEN ~)."""
        if len(self.payloads) <= maxlen + max(1, maxlen // 10):
            return
        self.ids = [i for i in self.ids if i in self.payloads]
        excess = len(self.ids) - maxlen
        for entry in self.ids[:excess]:
            del self.payloads[entry]
        del self.ids[:excess]


class MemoryBus:
    """Streams, consumer groups and expiring values in one process."""

    def __init__(self) -> None:
        self._streams: dict[str, _Stream] = {}
        self._values: dict[str, tuple[bytes, float]] = {}
        self._changed: asyncio.Condition | None = None

    # --- internals ---------------------------------------------------------------------

    def _condition(self) -> asyncio.Condition:
        if self._changed is None:
            self._changed = asyncio.Condition()
        return self._changed

    def _stream(self, name: str) -> _Stream:
        stream = self._streams.get(name)
        if stream is None:
            stream = self._streams[name] = _Stream()
        return stream

    def _group(self, stream: str, group: str) -> _Group:
        found = self._streams.get(stream)
        if found is None or group not in found.groups:
            raise NoGroupError(f"no consumer group {group!r} on stream {stream!r}")
        return found.groups[group]

    def _append(self, name: str, payload: bytes, maxlen: int | None) -> str:
        stream = self._stream(name)
        now_ms = time.time_ns() // 1_000_000
        last_ms, last_seq = stream.last_id
        entry = (now_ms, 0) if now_ms > last_ms else (last_ms, last_seq + 1)
        stream.last_id = entry
        stream.ids.append(entry)
        stream.payloads[entry] = payload
        if maxlen is not None:
            stream.trim(maxlen)
        return format_id(entry)

    async def _notify(self) -> None:
        condition = self._condition()
        async with condition:
            condition.notify_all()

    async def _wait(self, deadline: float | None) -> bool:
        """Wait for a change until ``deadline`` (loop time; None: forever). Lock held."""
        condition = self._condition()
        if deadline is None:
            await condition.wait()
            return True
        remaining = deadline - asyncio.get_running_loop().time()
        if remaining <= 0:
            return False
        try:
            await asyncio.wait_for(condition.wait(), remaining)
        except TimeoutError:
            return False
        return True

    @staticmethod
    def _deadline(block_ms: int | None) -> float | None:
        if block_ms is None or block_ms == 0:
            return None
        return asyncio.get_running_loop().time() + block_ms / 1000

    # --- streams ---------------------------------------------------------------------------

    async def publish(self, stream: str, payload: bytes, *, maxlen: int | None = None) -> str:
        entry = self._append(stream, payload, maxlen)
        await self._notify()
        return entry

    async def publish_many(
        self, stream: str, payloads: Sequence[bytes], *, maxlen: int | None = None
    ) -> list[str]:
        ids = [self._append(stream, payload, maxlen) for payload in payloads]
        await self._notify()
        return ids

    async def publish_batch(self, items: Sequence[tuple[str, bytes, int | None]]) -> list[str]:
        ids = [self._append(stream, payload, maxlen) for stream, payload, maxlen in items]
        await self._notify()
        return ids

    async def read(
        self, streams: dict[str, str], *, count: int = 100, block_ms: int | None = None
    ) -> dict[str, list[Delivery]]:
        starts = {
            name: self._stream(name).last_id if start == "$" else parse_id(start)
            for name, start in streams.items()
        }
        deadline = self._deadline(block_ms)
        condition = self._condition()
        async with condition:
            while True:
                found: dict[str, list[Delivery]] = {}
                for name, start in starts.items():
                    entries = self._stream(name).after(start, count)
                    if entries:
                        found[name] = [Delivery(format_id(e), p) for e, p in entries]
                if found or block_ms is None or not await self._wait(deadline):
                    return found

    async def ensure_group(self, stream: str, group: str, *, start: str = "0") -> None:
        found = self._stream(stream)
        if group not in found.groups:
            first = found.last_id if start == "$" else parse_id(start)
            found.groups[group] = _Group(last_delivered=first)

    async def read_group(
        self,
        stream: str,
        group: str,
        consumer: str,
        *,
        count: int = 100,
        block_ms: int | None = None,
    ) -> list[Delivery]:
        deadline = self._deadline(block_ms)
        condition = self._condition()
        async with condition:
            while True:
                state = self._group(stream, group)
                entries = self._streams[stream].after(state.last_delivered, count)
                if entries:
                    now = time.monotonic()
                    for entry, _ in entries:
                        state.pending[entry] = _Pending(consumer=consumer, delivered_at=now)
                    state.last_delivered = entries[-1][0]
                    return [Delivery(format_id(e), p) for e, p in entries]
                if block_ms is None or not await self._wait(deadline):
                    return []

    async def ack(
        self, stream: str, group: str, ids: Sequence[str], *, delete: bool = False
    ) -> int:
        state = self._group(stream, group)
        acked = 0
        for text in ids:
            entry = parse_id(text)
            if state.pending.pop(entry, None) is not None:
                acked += 1
            if delete:
                self._streams[stream].delete(entry)
        return acked

    async def claim_stale(
        self, stream: str, group: str, consumer: str, *, min_idle_ms: int, count: int = 100
    ) -> list[Delivery]:
        state = self._group(stream, group)
        payloads = self._streams[stream].payloads
        now = time.monotonic()
        claimed: list[Delivery] = []
        for entry in sorted(state.pending):
            if len(claimed) >= count:
                break
            pending = state.pending[entry]
            if (now - pending.delivered_at) * 1000 < min_idle_ms:
                continue
            payload = payloads.get(entry)
            if payload is None:  # trimmed or deleted while pending: Redis drops it too
                del state.pending[entry]
                continue
            pending.consumer, pending.delivered_at = consumer, now
            pending.count += 1
            claimed.append(Delivery(format_id(entry), payload, pending.count))
        return claimed

    async def pending_count(self, stream: str, group: str) -> int:
        return len(self._group(stream, group).pending)

    async def length(self, stream: str) -> int:
        found = self._streams.get(stream)
        return len(found.payloads) if found is not None else 0

    # --- values --------------------------------------------------------------------------

    def _live(self, key: str, now: float) -> bytes | None:
        found = self._values.get(key)
        if found is None:
            return None
        if found[1] <= now:
            del self._values[key]
            return None
        return found[0]

    async def set_value(self, key: str, value: bytes, *, ttl_s: float) -> None:
        self._values[key] = (value, time.monotonic() + ttl_s)

    async def set_values(self, values: Mapping[str, bytes], *, ttl_s: float) -> None:
        expires = time.monotonic() + ttl_s
        for key, value in values.items():
            self._values[key] = (value, expires)

    async def get_values(self, keys: Sequence[str]) -> list[bytes | None]:
        now = time.monotonic()
        return [self._live(key, now) for key in keys]

    async def delete_value(self, key: str) -> None:
        self._values.pop(key, None)

    async def expire_stream(self, stream: str, *, ttl_s: float) -> bool:
        return stream in self._streams  # nothing outlives this process's bus

    async def values(self, prefix: str) -> dict[str, bytes]:
        now = time.monotonic()
        found = {}
        for key in [k for k in self._values if k.startswith(prefix)]:
            value = self._live(key, now)
            if value is not None:
                found[key] = value
        return found

    async def ping(self) -> bool:
        return True

    async def close(self) -> None:
        if self._changed is not None:
            await self._notify()
