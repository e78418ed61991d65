"""SSE /events: one tail of the events stream per worker, fanned out to every client.

One task per worker reads ``vectimus:events`` and keeps the most recent entries in a ring,
so a hundred dashboards cost one Redis connection, not a hundred blocked reads. A client
that reconnects with ``Last-Event-ID`` older than the ring reads the stream itself (no
blocking, page by page) until it reaches the ring, then follows the ring: no gap either way.
Every event's ``id:`` is its stream id, so any worker or replica can resume any client.
"""

from __future__ import annotations

import asyncio
import bisect
import contextlib
from collections import deque
from collections.abc import AsyncIterator, Callable, Collection
from dataclasses import dataclass

import msgspec
import structlog
from litestar.response.sse import ServerSentEventMessage

from vectimus.core.bus import Bus
from vectimus.core.bus.messages import EVENTS_STREAM, EventRecord, decode

log = structlog.get_logger("vectimus.gateway.sse")

_READ_COUNT = 500
_READ_BLOCK_MS = 1000
_FEED_GATHER_S = 0.01
_CATCH_UP_PAGE = 200
_MAX_BACKOFF_S = 2.0


def stream_key(stream_id: str) -> tuple[int, int]:
    """Order stream ids (``<ms>-<seq>``) numerically; a malformed id sorts first."""
    ms, _, seq = stream_id.partition("-")
    try:
        return int(ms), int(seq or 0)
    except ValueError:
        return (-1, -1)


def valid_stream_id(value: str) -> bool:
    return stream_key(value) != (-1, -1) and len(value) <= 64


@dataclass(frozen=True, slots=True)
class FeedEntry:
    seq: int
    id: str
    key: tuple[int, int]
    decision: str
    source: str
    data: str
    rules: tuple[str, ...] = ()
    principal: str = ""
    caller: str = ""


@dataclass(frozen=True)
class EventFilter:
    """Which events a client asked for: each given dimension must match one of its values.

    ``rules`` matches when any matched rule is one of them; ``principals`` matches the
    event's principal or its caller (the API key's name), since a dashboard user knows a
    caller by either."""

    decisions: Collection[str] = ()
    sources: Collection[str] = ()
    rules: Collection[str] = ()
    principals: Collection[str] = ()

    @classmethod
    def parse(
        cls,
        decision: str | None,
        source: str | None,
        rule: str | None = None,
        principal: str | None = None,
    ) -> EventFilter:
        def split(value: str | None) -> frozenset[str]:
            return frozenset(v.strip() for v in (value or "").split(",") if v.strip())

        return cls(split(decision), split(source), split(rule), split(principal))

    def __call__(self, entry: FeedEntry) -> bool:
        return (
            (not self.decisions or entry.decision in self.decisions)
            and (not self.sources or entry.source in self.sources)
            and (not self.rules or any(rule in self.rules for rule in entry.rules))
            and (
                not self.principals
                or entry.principal in self.principals
                or entry.caller in self.principals
            )
        )


def _entry(seq: int, stream_id: str, payload: bytes) -> FeedEntry | None:
    try:
        record = decode(payload, EventRecord)
    except (msgspec.DecodeError, msgspec.ValidationError) as exc:
        log.error("malformed entry on the events stream", id=stream_id, error=str(exc))
        return None
    data = msgspec.json.encode(record).decode()
    return FeedEntry(
        seq,
        stream_id,
        stream_key(stream_id),
        record.decision,
        record.source,
        data,
        tuple(record.matched_policy_ids),
        record.principal,
        record.caller,
    )


class EventFeed:
    def __init__(self, bus: Bus, *, stream: str = EVENTS_STREAM, capacity: int = 4096) -> None:
        self.bus = bus
        self.stream = stream
        self._ring: deque[FeedEntry] = deque(maxlen=capacity)
        self._seq = 0
        self._changed = asyncio.Event()
        self._stopping = False
        self._task: asyncio.Task[None] | None = None
        self.clients = 0
        self.connected = False

    # -- the tail ---------------------------------------------------------------------------

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="events-feed")

    async def stop(self) -> None:
        """Set the flag, then cancel the read in progress (it may block for a second)."""
        self._stopping = True
        self._notify()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    def _notify(self) -> None:
        changed, self._changed = self._changed, asyncio.Event()
        changed.set()

    async def _run(self) -> None:
        last = "$"
        backoff = 0.05
        while not self._stopping:
            try:
                found = await self.bus.read(
                    {self.stream: last}, count=_READ_COUNT, block_ms=_READ_BLOCK_MS
                )
            except Exception as exc:  # noqa: BLE001 - keep tailing whatever the transport did
                self.connected = False
                if self._stopping:
                    break
                log.warning("events stream read failed", error=repr(exc), retry_in_s=backoff)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, _MAX_BACKOFF_S)
                continue
            self.connected = True
            backoff = 0.05
            deliveries = found.get(self.stream, [])
            for delivery in deliveries:
                last = delivery.id
                entry = _entry(self._seq + 1, delivery.id, delivery.payload)
                if entry is not None:
                    self._seq += 1
                    self._ring.append(entry)
            if deliveries:
                self._notify()
            if 0 < len(deliveries) < _READ_COUNT:
                # Let events gather: under load one read then takes tens of events, not
                # one or two, for a few milliseconds of dashboard latency.
                await asyncio.sleep(_FEED_GATHER_S)

    # -- one client -------------------------------------------------------------------------

    def _after_seq(self, seq: int) -> list[FeedEntry] | None:
        """Ring entries after ``seq``; None when some of them were already evicted."""
        ring = self._ring
        if not ring or ring[-1].seq <= seq:
            return []
        if ring[0].seq > seq + 1:
            return None
        return list(ring)[seq + 1 - ring[0].seq :]

    def _seq_at(self, key: tuple[int, int]) -> int:
        """The seq of the last ring entry whose id is at most ``key`` (or one before the ring)."""
        ring = list(self._ring)
        index = bisect.bisect_right([e.key for e in ring], key)
        return ring[index - 1].seq if index else (ring[0].seq - 1 if ring else self._seq)

    async def _catch_up(self, cursor: str) -> tuple[list[FeedEntry], str]:
        found = await self.bus.read({self.stream: cursor}, count=_CATCH_UP_PAGE)
        entries: list[FeedEntry] = []
        for delivery in found.get(self.stream, []):
            cursor = delivery.id
            entry = _entry(0, delivery.id, delivery.payload)
            if entry is not None:
                entries.append(entry)
        return entries, cursor

    async def follow(
        self,
        last_event_id: str | None,
        accept: Callable[[FeedEntry], bool],
        *,
        heartbeat_s: float,
        stopping: Callable[[], bool],
        hello: str = "connected",
    ) -> AsyncIterator[ServerSentEventMessage]:
        """The events after ``last_event_id`` (or from now), then live ones, with heartbeats.

        The first message is the comment ``hello`` (it names the worker serving the stream)."""
        self.clients += 1
        try:
            yield ServerSentEventMessage(data=None, comment=hello, retry=2000)
            cursor: str | None = last_event_id  # id mode: reading the stream after this id
            seq = self._seq  # ring mode: following the ring after this seq
            last_id = last_event_id or (self._ring[-1].id if self._ring else None)
            while not stopping() and not self._stopping:
                if cursor is not None:
                    ring = self._ring
                    if ring and stream_key(cursor) >= ring[0].key:
                        seq, cursor = self._seq_at(stream_key(cursor)), None
                        continue
                    entries, cursor = await self._catch_up(cursor)
                    for entry in entries:
                        last_id = entry.id
                        if accept(entry):
                            yield ServerSentEventMessage(data=entry.data, id=entry.id)
                    if not entries:
                        seq, cursor = self._seq_at(stream_key(cursor)), None
                    continue
                batch = self._after_seq(seq)
                if batch is None:  # this client fell behind the ring: read the stream itself
                    log.warning("an SSE client fell behind the event ring; catching up")
                    cursor = last_id or _before(self._ring[0].id)
                    continue
                if batch:
                    for entry in batch:
                        seq, last_id = entry.seq, entry.id
                        if accept(entry):
                            yield ServerSentEventMessage(data=entry.data, id=entry.id)
                    continue
                try:
                    await asyncio.wait_for(self._changed.wait(), heartbeat_s)
                except TimeoutError:
                    yield ServerSentEventMessage(data=None, comment="heartbeat")
        finally:
            self.clients -= 1


def _before(stream_id: str) -> str:
    """The greatest stream id below ``stream_id`` (reads are exclusive of their start id)."""
    ms, seq = stream_key(stream_id)
    return f"{ms}-{seq - 1}" if seq > 0 else f"{max(ms - 1, 0)}-{2**64 - 1}"
