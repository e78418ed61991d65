"""The shared consume loop on the in-process bus: ack, retry, dead-letter, heartbeats, drain."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence
from typing import Any

import pytest

from vectimus.core.bus import BusUnavailable, Delivery
from vectimus.core.bus.memory import MemoryBus
from vectimus.core.bus.messages import DEAD_STREAM, HEARTBEAT_PREFIX, DeadLetter, decode
from vectimus.core.bus.settings import WorkerSettings
from vectimus.core.bus.worker import Outcome, Worker

pytestmark = pytest.mark.timeout(20)

FAST = WorkerSettings(
    consumer="w1",
    block_ms=20,
    claim_idle_ms=50,
    reclaim_interval_s=0.05,
    max_deliveries=2,
    heartbeat_interval_s=0.05,
    drain_timeout_s=2,
)


class Toy:
    """Payload b"ok..." is handled, b"bad" is undecodable, b"fail" raises, b"slow" sleeps."""

    name = "toy"
    stream = "toy:in"
    group = "toys"

    def __init__(self, slow_s: float = 0.3) -> None:
        self.handled: list[bytes] = []
        self.gave_up: list[tuple[bytes, str]] = []
        self.seen_deliveries: list[int] = []
        self.slow_s = slow_s

    async def handle(self, deliveries: Sequence[Delivery]) -> Outcome:
        outcome = Outcome()
        for delivery in deliveries:
            self.seen_deliveries.append(delivery.deliveries)
            if delivery.payload == b"bad":
                outcome.dead[delivery.id] = "undecodable"
            elif delivery.payload == b"fail":
                raise RuntimeError("boom")
            else:
                if delivery.payload == b"slow":
                    await asyncio.sleep(self.slow_s)
                self.handled.append(delivery.payload)
                outcome.done.append(delivery.id)
        return outcome

    async def give_up(self, delivery: Delivery, error: str) -> None:
        self.gave_up.append((delivery.payload, error))

    def describe(self) -> dict[str, Any]:
        return {"toy": True}


async def until(check: Any, timeout_s: float = 5.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout_s
    while not await check():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.02)


async def start(
    bus: Any, service: Toy, settings: WorkerSettings = FAST
) -> tuple[asyncio.Event, asyncio.Task[None]]:
    stop = asyncio.Event()
    return stop, asyncio.create_task(Worker(bus, service, settings).run(stop))


async def dead_letters(bus: MemoryBus) -> list[DeadLetter]:
    found = await bus.read({DEAD_STREAM: "0"})
    return [decode(d.payload, DeadLetter) for d in found.get(DEAD_STREAM, [])]


class TestWorker:
    async def test_handled_entries_are_acked_and_deleted(self) -> None:
        bus, toy = MemoryBus(), Toy()
        stop, task = await start(bus, toy)
        await bus.publish_many(toy.stream, [b"ok1", b"ok2", b"ok3"])

        async def done() -> bool:
            return len(toy.handled) == 3

        await until(done)
        stop.set()
        await task
        assert toy.handled == [b"ok1", b"ok2", b"ok3"]
        assert await bus.pending_count(toy.stream, toy.group) == 0
        assert await bus.length(toy.stream) == 0

    async def test_undecodable_goes_to_dead_letters_at_once(self) -> None:
        bus, toy = MemoryBus(), Toy()
        stop, task = await start(bus, toy)
        await bus.publish_many(toy.stream, [b"bad", b"ok"])

        async def done() -> bool:
            return bool(await dead_letters(bus)) and toy.handled == [b"ok"]

        await until(done)
        stop.set()
        await task
        (letter,) = await dead_letters(bus)
        assert (letter.payload, letter.error, letter.deliveries) == (b"bad", "undecodable", 1)
        assert (letter.stream, letter.group, letter.service) == ("toy:in", "toys", "toy")
        assert toy.gave_up == []
        assert await bus.pending_count(toy.stream, toy.group) == 0

    async def test_a_failing_entry_is_retried_then_given_up_and_dead_lettered(self) -> None:
        bus, toy = MemoryBus(), Toy()
        stop, task = await start(bus, toy)
        await bus.publish(toy.stream, b"fail")

        async def done() -> bool:
            return bool(await dead_letters(bus))

        await until(done)
        stop.set()
        await task
        assert toy.seen_deliveries == [1, 2]  # retried once, then max_deliveries=2 reached
        (letter,) = await dead_letters(bus)
        assert letter.deliveries == 3
        assert "gave up after 2 deliveries" in letter.error and "RuntimeError: boom" in letter.error
        assert toy.gave_up == [(b"fail", letter.error)]
        assert await bus.pending_count(toy.stream, toy.group) == 0

    async def test_heartbeat_while_running_and_gone_after(self) -> None:
        bus, toy = MemoryBus(), Toy()
        stop, task = await start(bus, toy)

        async def beating() -> bool:
            return bool(await bus.values(HEARTBEAT_PREFIX))

        await until(beating)
        (key, value) = (await bus.values(HEARTBEAT_PREFIX)).popitem()
        assert key == f"{HEARTBEAT_PREFIX}toy:w1"
        info = json.loads(value)
        assert info["service"] == "toy" and info["instance"] == "w1" and info["toy"] is True
        stop.set()
        await task
        assert await bus.values(HEARTBEAT_PREFIX) == {}

    async def test_stop_drains_the_batch_in_hand(self) -> None:
        bus, toy = MemoryBus(), Toy(slow_s=0.3)
        stop, task = await start(bus, toy)
        await bus.publish(toy.stream, b"slow")
        await asyncio.sleep(0.1)  # read, now sleeping in the handler
        stop.set()
        await asyncio.wait_for(task, 3)
        assert toy.handled == [b"slow"]
        assert await bus.pending_count(toy.stream, toy.group) == 0

    async def test_drain_deadline_cancels_and_leaves_the_entry_pending(self) -> None:
        bus, toy = MemoryBus(), Toy(slow_s=30)
        settings = FAST.model_copy(update={"drain_timeout_s": 0.2})
        stop, task = await start(bus, toy, settings)
        await bus.publish(toy.stream, b"slow")
        await asyncio.sleep(0.1)
        stop.set()
        await asyncio.wait_for(task, 3)
        assert toy.handled == []
        assert await bus.pending_count(toy.stream, toy.group) == 1

    async def test_a_vanished_group_is_made_again(self) -> None:
        bus, toy = MemoryBus(), Toy()
        stop, task = await start(bus, toy)
        await bus.publish(toy.stream, b"ok1")

        async def first() -> bool:
            return toy.handled == [b"ok1"]

        await until(first)
        bus._streams.clear()  # what a Redis restarted without persistence looks like
        await bus.publish(toy.stream, b"ok2")

        async def second() -> bool:
            return toy.handled == [b"ok1", b"ok2"]

        await until(second)
        stop.set()
        await task

    async def test_an_unreachable_bus_is_retried(self) -> None:
        class Flaky(MemoryBus):
            down = True

            async def read_group(self, *args: Any, **kwargs: Any) -> list[Delivery]:
                if self.down:
                    raise BusUnavailable("connection refused")
                return await super().read_group(*args, **kwargs)

        bus, toy = Flaky(), Toy()
        stop, task = await start(bus, toy)
        await bus.publish(toy.stream, b"ok")
        await asyncio.sleep(0.3)
        assert toy.handled == []
        bus.down = False

        async def done() -> bool:
            return toy.handled == [b"ok"]

        await until(done)
        stop.set()
        await task


class Batches(Toy):
    def __init__(self) -> None:
        super().__init__()
        self.sizes: list[int] = []

    async def handle(self, deliveries: Sequence[Delivery]) -> Outcome:
        self.sizes.append(len(deliveries))
        return await super().handle(deliveries)


@pytest.mark.parametrize(("gather_ms", "sizes"), [(0, [1, 1, 1]), (300, [1, 2])])
async def test_gather_ms_lets_the_next_batch_fill_up(gather_ms: int, sizes: list[int]) -> None:
    bus = MemoryBus()
    service = Batches()
    stop, task = await start(bus, service, FAST.model_copy(update={"gather_ms": gather_ms}))
    for payload in (b"ok1", b"ok2", b"ok3"):
        await bus.publish(service.stream, payload)
        await asyncio.sleep(0.08)  # each one alone, unless the worker waits to gather
    await until(lambda: _true(len(service.handled) == 3))
    stop.set()
    await task
    assert service.sizes == sizes
    assert service.handled == [b"ok1", b"ok2", b"ok3"]


async def _true(value: bool) -> bool:
    return value
