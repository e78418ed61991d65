"""The bus contract, run against both transports: the in-process one and real Redis."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import pytest

from vectimus.core.bus import Bus, NoGroupError
from vectimus.core.bus.memory import MemoryBus, parse_id
from vectimus.core.bus.redis import VALUES_INDEX, RedisBus

pytestmark = pytest.mark.timeout(30)


@pytest.fixture(params=["memory", "redis"])
async def bus(request: pytest.FixtureRequest) -> AsyncIterator[Bus]:
    found: Bus
    if request.param == "memory":
        found = MemoryBus()
    else:
        found = RedisBus.from_url(request.getfixturevalue("redis_url"))
    try:
        yield found
    finally:
        await found.close()


class TestStreams:
    async def test_expire_stream_says_whether_the_stream_exists(self, bus: Bus) -> None:
        assert await bus.expire_stream("never-written", ttl_s=30) is False
        await bus.publish("expiring", b"x")
        assert await bus.expire_stream("expiring", ttl_s=30) is True
        assert await bus.length("expiring") == 1  # an expiry, not a deletion

    async def test_ids_are_ordered_stream_ids(self, bus: Bus) -> None:
        ids = [await bus.publish("s", f"m{i}".encode()) for i in range(5)]
        ids += await bus.publish_many("s", [b"a", b"b", b"c"])
        parsed = [parse_id(i) for i in ids]
        assert parsed == sorted(parsed)
        assert len(set(ids)) == len(ids)
        assert all(i.count("-") == 1 for i in ids)
        assert await bus.length("s") == 8

    async def test_read_from_zero_and_from_an_id(self, bus: Bus) -> None:
        ids = await bus.publish_many("s", [b"1", b"2", b"3"])
        everything = await bus.read({"s": "0"})
        assert [d.payload for d in everything["s"]] == [b"1", b"2", b"3"]
        assert [d.id for d in everything["s"]] == ids
        after_first = await bus.read({"s": ids[0]}, count=1)
        assert [d.payload for d in after_first["s"]] == [b"2"]
        assert await bus.read({"s": ids[-1]}) == {}
        assert await bus.read({"missing": "0"}) == {}

    async def test_publish_batch_spans_streams_in_order(self, bus: Bus) -> None:
        ids = await bus.publish_batch([("a", b"1", None), ("b", b"2", 10), ("a", b"3", None)])
        assert len(ids) == 3
        assert [d.payload for d in (await bus.read({"a": "0"}))["a"]] == [b"1", b"3"]
        assert [d.payload for d in (await bus.read({"b": "0"}))["b"]] == [b"2"]

    async def test_a_blocking_read_wakes_on_a_new_entry(self, bus: Bus) -> None:
        await bus.publish("s", b"old")
        reader = asyncio.create_task(bus.read({"s": "$"}, block_ms=5000))
        await asyncio.sleep(0.1)
        await bus.publish("s", b"new")
        found = await asyncio.wait_for(reader, 5)
        assert [d.payload for d in found["s"]] == [b"new"]

    async def test_a_blocking_read_times_out_empty(self, bus: Bus) -> None:
        started = time.monotonic()
        assert await bus.read({"s": "$"}, block_ms=200) == {}
        assert 0.15 <= time.monotonic() - started < 3

    async def test_maxlen_trims_to_about_the_bound(self, bus: Bus) -> None:
        for start in range(0, 2000, 100):
            await bus.publish_many(
                "s", [str(i).encode() for i in range(start, start + 100)], maxlen=100
            )
        length = await bus.length("s")
        assert 100 <= length <= 300
        entries = (await bus.read({"s": "0"}, count=1000))["s"]
        assert entries[-1].payload == b"1999"  # trimming drops the oldest


class TestGroups:
    async def test_ensure_group_twice_keeps_the_group(self, bus: Bus) -> None:
        await bus.publish("s", b"1")
        await bus.ensure_group("s", "g")
        first = await bus.read_group("s", "g", "c1")
        await bus.ensure_group("s", "g")  # BUSYGROUP: kept, position and pending unchanged
        assert [d.payload for d in first] == [b"1"]
        assert await bus.read_group("s", "g", "c1") == []
        assert await bus.pending_count("s", "g") == 1

    async def test_a_group_from_zero_sees_history_and_from_dollar_only_new(self, bus: Bus) -> None:
        await bus.publish("s", b"before")
        await bus.ensure_group("s", "all", start="0")
        await bus.ensure_group("s", "new", start="$")
        await bus.publish("s", b"after")
        assert [d.payload for d in await bus.read_group("s", "all", "c")] == [b"before", b"after"]
        assert [d.payload for d in await bus.read_group("s", "new", "c")] == [b"after"]

    async def test_ensure_group_creates_the_stream(self, bus: Bus) -> None:
        await bus.ensure_group("fresh", "g")
        assert await bus.length("fresh") == 0
        assert await bus.read_group("fresh", "g", "c") == []

    async def test_consumers_share_entries_and_ack_clears_pending(self, bus: Bus) -> None:
        await bus.ensure_group("s", "g")
        await bus.publish_many("s", [str(i).encode() for i in range(10)])
        one = await bus.read_group("s", "g", "c1", count=4)
        two = await bus.read_group("s", "g", "c2", count=100)
        assert len(one) == 4 and len(two) == 6
        assert {d.payload for d in one}.isdisjoint({d.payload for d in two})
        assert all(d.deliveries == 1 for d in one + two)
        assert await bus.pending_count("s", "g") == 10
        assert await bus.ack("s", "g", [d.id for d in one]) == 4
        assert await bus.ack("s", "g", [d.id for d in one]) == 0  # already acknowledged
        assert await bus.pending_count("s", "g") == 6
        assert await bus.length("s") == 10

    async def test_ack_with_delete_removes_the_entries(self, bus: Bus) -> None:
        await bus.ensure_group("s", "g")
        await bus.publish_many("s", [b"1", b"2", b"3"])
        got = await bus.read_group("s", "g", "c")
        assert await bus.ack("s", "g", [got[0].id, got[1].id], delete=True) == 2
        assert await bus.length("s") == 1
        assert await bus.pending_count("s", "g") == 1

    async def test_a_blocking_group_read_wakes_on_a_new_entry(self, bus: Bus) -> None:
        await bus.ensure_group("s", "g")
        reader = asyncio.create_task(bus.read_group("s", "g", "c", block_ms=5000))
        await asyncio.sleep(0.1)
        await bus.publish("s", b"x")
        assert [d.payload for d in await asyncio.wait_for(reader, 5)] == [b"x"]

    async def test_claim_stale_takes_over_idle_entries_and_counts_deliveries(
        self, bus: Bus
    ) -> None:
        await bus.ensure_group("s", "g")
        await bus.publish_many("s", [b"1", b"2"])
        taken = await bus.read_group("s", "g", "dead")
        assert len(taken) == 2
        assert await bus.claim_stale("s", "g", "alive", min_idle_ms=10_000) == []
        await asyncio.sleep(0.15)
        claimed = await bus.claim_stale("s", "g", "alive", min_idle_ms=100)
        assert [d.payload for d in claimed] == [b"1", b"2"]
        assert [d.deliveries for d in claimed] == [2, 2]
        await asyncio.sleep(0.15)
        again = await bus.claim_stale("s", "g", "other", min_idle_ms=100, count=1)
        assert [(d.payload, d.deliveries) for d in again] == [(b"1", 3)]
        assert await bus.ack("s", "g", [d.id for d in claimed]) == 2
        assert await bus.pending_count("s", "g") == 0

    async def test_a_missing_group_is_no_group_error(self, bus: Bus) -> None:
        await bus.publish("s", b"1")
        with pytest.raises(NoGroupError):
            await bus.read_group("s", "nope", "c")
        with pytest.raises(NoGroupError):
            await bus.read_group("missing-stream", "nope", "c")


class TestValues:
    async def test_values_by_prefix_expire(self, bus: Bus) -> None:
        await bus.set_value("alive:evaluator:a", b"1", ttl_s=0.3)
        await bus.set_value("alive:evaluator:b", b"2", ttl_s=30)
        await bus.set_value("alive:audit-sink:c", b"3", ttl_s=30)
        await bus.set_value("other*[x]", b"4", ttl_s=30)
        assert await bus.values("alive:evaluator:") == {
            "alive:evaluator:a": b"1",
            "alive:evaluator:b": b"2",
        }
        assert await bus.values("other*[") == {"other*[x]": b"4"}  # no glob in prefixes
        await asyncio.sleep(0.45)
        assert await bus.values("alive:") == {
            "alive:evaluator:b": b"2",
            "alive:audit-sink:c": b"3",
        }

    async def test_many_values_and_delete(self, bus: Bus) -> None:
        await bus.set_values({"k1": b"1", "k2": b"2"}, ttl_s=30)
        assert await bus.get_values(["k1", "missing", "k2"]) == [b"1", None, b"2"]
        await bus.delete_value("k1")
        assert await bus.get_values(["k1"]) == [None]
        assert await bus.get_values([]) == []

    async def test_ping(self, bus: Bus) -> None:
        assert await bus.ping() is True


def _calls(info: bytes, command: str) -> int:
    for line in info.decode().splitlines():
        if line.startswith(f"cmdstat_{command}:"):
            return int(line.split("calls=")[1].split(",")[0])
    return 0


async def test_redis_values_read_their_own_list_not_the_keyspace(redis_url: str) -> None:
    """A SCAN's cost grows with every key in the database (the session counters keep one
    per call for minutes); the heartbeats are found without one, however many keys exist."""
    bus = RedisBus.from_url(redis_url)
    try:
        await bus.execute([("MSET", *[part for i in range(3000) for part in (f"s:{i}", b"1")])])
        [before] = await bus.execute([("INFO", "commandstats")])
        await bus.set_value("alive:evaluator:a", b"1", ttl_s=30)
        await bus.set_values({"alive:sink:b": b"2", "other": b"3"}, ttl_s=30)
        assert await bus.values("alive:") == {"alive:evaluator:a": b"1", "alive:sink:b": b"2"}
        [after] = await bus.execute([("INFO", "commandstats")])
        assert _calls(after, "scan") == _calls(before, "scan")
        # A listing an hour past its expiry is dropped; a deleted value leaves the list.
        await bus.execute([("ZADD", VALUES_INDEX, 1, "alive:evaluator:gone")])
        await bus.delete_value("alive:sink:b")
        assert await bus.values("alive:") == {"alive:evaluator:a": b"1"}
        [listed] = await bus.execute([("ZRANGE", VALUES_INDEX, 0, -1)])
        assert sorted(listed) == [b"alive:evaluator:a", b"other"]
    finally:
        await bus.close()
