"""The trail outbox: decision records the bus refused are published once it is back."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

from vectimus.core.bus.memory import MemoryBus
from vectimus.gateway.outbox import TrailOutbox

STREAM = "vectimus:decisions"


class DownBus(MemoryBus):
    """Refuses every publish while ``down`` is set, as Redis restarting would."""

    def __init__(self) -> None:
        super().__init__()
        self.down = True
        self.attempts = 0

    async def publish_many(
        self, stream: str, payloads: Sequence[bytes], **options: Any
    ) -> list[str]:
        self.attempts += 1
        if self.down:
            raise ConnectionError("redis is restarting")
        return await super().publish_many(stream, payloads, **options)


async def published(bus: MemoryBus) -> list[bytes]:
    found = await bus.read({STREAM: "0"}, count=1000)
    return [delivery.payload for delivery in found.get(STREAM, [])]


async def test_records_wait_for_the_bus_and_go_out_in_order() -> None:
    bus = DownBus()
    outbox = TrailOutbox(bus)
    outbox.start()
    for n in range(3):
        outbox.put(f"r{n}", f"record {n}".encode())
    await asyncio.sleep(0.35)  # a few refused attempts, with backoff
    assert bus.attempts >= 2
    assert outbox.waiting == 3
    assert await published(bus) == []
    bus.down = False
    outbox.put("r3", b"record 3")
    await asyncio.sleep(0.5)
    assert await published(bus) == [f"record {n}".encode() for n in range(4)]
    assert (outbox.waiting, outbox.published, outbox.dropped) == (0, 4, 0)
    await outbox.stop()


async def test_capacity_drops_the_oldest_and_counts_it() -> None:
    outbox = TrailOutbox(DownBus(), capacity=2)
    for n in range(3):
        outbox.put(f"r{n}", f"record {n}".encode())
    assert (outbox.waiting, outbox.dropped) == (2, 1)


async def test_stop_drains_then_reports_what_is_left() -> None:
    bus = DownBus()
    outbox = TrailOutbox(bus)
    outbox.start()
    outbox.put("r0", b"record 0")
    await outbox.stop(drain_s=0.3)
    assert outbox.waiting == 1  # never published: the log says so (structlog, on stderr)
    bus.down = False
    flushed = TrailOutbox(bus)
    flushed.start()
    flushed.put("r1", b"record 1")
    await flushed.stop(drain_s=2)
    assert (flushed.waiting, await published(bus)) == (0, [b"record 1"])
