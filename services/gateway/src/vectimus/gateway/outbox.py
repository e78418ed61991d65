"""Decision records the bus could not take, kept and published once it is back.

A call the gateway decides itself (degraded, or refused) is answered at once, and its
DecisionRecord must still reach the signer and the audit sink. When the bus refuses the
record (Redis restarting, or stalled past the publish timeout), dropping it would leave an
answered decision with no receipt and no audit record. So it waits here, in memory, and one
task publishes what waits, oldest first and in batches, retrying with backoff until the bus
takes it. A record that did reach Redis although its publish timed out (a stalled server
runs the command later) is published twice; downstream is idempotent by receipt id, so it
is signed and recorded once.

What waits is bounded: past ``capacity`` records the oldest is dropped, logged and counted,
because a gateway's memory must not grow without end in a long outage. At shutdown the
outbox gets ``drain_s`` to empty; what is left is logged as lost.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque

import structlog

from vectimus.core.bus import Bus
from vectimus.core.bus.messages import DECISIONS_STREAM, maxlen_for

log = structlog.get_logger("vectimus.gateway.outbox")

_BATCH = 500
_PUBLISH_TIMEOUT_S = 2.0
_MAX_BACKOFF_S = 2.0


class TrailOutbox:
    def __init__(
        self, bus: Bus, *, stream: str = DECISIONS_STREAM, capacity: int = 100_000
    ) -> None:
        self.bus = bus
        self.stream = stream
        self.capacity = capacity
        self._waiting: deque[tuple[str, bytes]] = deque()  # (receipt id, encoded record)
        self._wake = asyncio.Event()
        self._stopping = False
        self._task: asyncio.Task[None] | None = None
        self.published = 0
        self.dropped = 0

    @property
    def waiting(self) -> int:
        return len(self._waiting)

    def put(self, receipt_id: str, record: bytes) -> None:
        self._waiting.append((receipt_id, record))
        self._trim()
        self._wake.set()

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="trail-outbox")

    async def stop(self, drain_s: float = 5.0) -> None:
        """Publish what waits within ``drain_s``; log what could not be."""
        self._stopping = True
        self._wake.set()
        if self._task is not None:
            try:
                await asyncio.wait_for(self._task, drain_s)
            except TimeoutError:
                with contextlib.suppress(asyncio.CancelledError):
                    await self._task
        if self._waiting:
            log.error(
                "decision records never published: they have no receipt or audit record",
                count=len(self._waiting),
                receipt_ids=[receipt_id for receipt_id, _ in list(self._waiting)[:20]],
            )

    def _trim(self) -> None:
        while len(self._waiting) > self.capacity:
            receipt_id, _ = self._waiting.popleft()
            self.dropped += 1
            log.error(
                "trail outbox full: dropped the oldest decision record; it will have no "
                "receipt or audit record",
                receipt_id=receipt_id,
                capacity=self.capacity,
            )

    async def _run(self) -> None:
        backoff = 0.1
        while True:
            if not self._waiting:
                if self._stopping:
                    return
                await self._wake.wait()
                self._wake.clear()
                continue
            batch = [self._waiting.popleft() for _ in range(min(_BATCH, len(self._waiting)))]
            try:
                async with asyncio.timeout(_PUBLISH_TIMEOUT_S):
                    await self.bus.publish_many(
                        self.stream, [record for _, record in batch], maxlen=maxlen_for(self.stream)
                    )
            except asyncio.CancelledError:  # stopped past the drain deadline: count them
                self._waiting.extendleft(reversed(batch))
                raise
            except Exception as exc:  # noqa: BLE001 - whatever the transport did, keep them
                self._waiting.extendleft(reversed(batch))
                self._trim()
                log.warning(
                    "decision records waiting for the bus",
                    waiting=len(self._waiting),
                    error=repr(exc),
                    retry_in_s=backoff,
                )
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, _MAX_BACKOFF_S)
                continue
            backoff = 0.1
            self.published += len(batch)
            log.info("published decision records that had waited for the bus", count=len(batch))
