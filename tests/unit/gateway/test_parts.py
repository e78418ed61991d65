"""The gateway's small parts: auth, enrichment, metrics text, the reply router, the feed."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import msgspec
import pytest

from vectimus.core.bus.memory import MemoryBus
from vectimus.core.bus.messages import EVENTS_STREAM, EvalReply, EventRecord, encode
from vectimus.core.events import Decision
from vectimus.gateway.auth import ApiKeys
from vectimus.gateway.enrichment import split_enrichment
from vectimus.gateway.metrics import Metrics
from vectimus.gateway.replies import BusUnavailableError, ReplyRouter, RequestPublisher
from vectimus.gateway.sse import EventFeed, EventFilter, stream_key


class TestApiKeys:
    keys = ApiKeys({"ci": "k1-aaaaaaaa", "alice": "k2-bbbbbbbb"})

    def test_open_without_keys(self) -> None:
        assert ApiKeys({}).check(None, None).caller == "anonymous"

    @pytest.mark.parametrize(
        ("authorization", "header", "caller", "problem"),
        [
            ("Bearer k2-bbbbbbbb", None, "alice", ""),
            ("bearer k1-aaaaaaaa", None, "ci", ""),
            (None, "k1-aaaaaaaa", "ci", ""),
            (None, None, None, "missing-api-key"),
            ("Basic k1-aaaaaaaa", None, None, "missing-api-key"),
            ("Bearer k1-aaaaaaa", None, None, "bad-api-key"),
            (None, "k1-aaaaaaaaX", None, "bad-api-key"),
        ],
    )
    def test_check(
        self, authorization: str | None, header: str | None, caller: str | None, problem: str
    ) -> None:
        result = self.keys.check(authorization, header)
        assert (result.caller, result.problem) == (caller, problem)


class TestEnrichment:
    def test_taken_out_of_the_payload(self) -> None:
        payload = {"tool_name": "Bash", "vectimus_enrichment": {"branch": "main", "n": 3}}
        facts, body = split_enrichment(payload, b"ignored")
        assert facts == {"branch": "main"}
        assert json.loads(body) == {"tool_name": "Bash"}

    def test_absent_keeps_the_bytes(self) -> None:
        assert split_enrichment({"tool_name": "Bash"}, b"raw") == ({}, b"raw")

    @pytest.mark.parametrize("junk", ["text", ["a"], None, 7])
    def test_malformed_is_dropped(self, junk: Any) -> None:
        facts, _ = split_enrichment({"tool_name": "Bash", "vectimus_enrichment": junk}, b"")
        assert facts == {}


class TestMetrics:
    def test_exposition(self) -> None:
        metrics = Metrics()
        metrics.decision(
            decision="deny",
            source="cursor",
            matched=("r-1", "r-2"),
            seconds=0.003,
            path="evaluator",
        )
        metrics.reject("bad-json")
        text = metrics.render([("vectimus_stream_length", "h", (("stream", "s"),), 4.0)])
        assert 'vectimus_decisions_total{decision="deny",source="cursor",rule="r-1"} 1' in text
        assert 'vectimus_rule_matches_total{rule="r-2"} 1' in text
        assert 'vectimus_evaluate_seconds_bucket{path="evaluator",le="0.0025"} 0' in text
        assert 'vectimus_evaluate_seconds_bucket{path="evaluator",le="0.005"} 1' in text
        assert 'vectimus_rejected_requests_total{reason="bad-json"} 1' in text
        assert 'vectimus_stream_length{stream="s"} 4' in text
        assert "# TYPE vectimus_evaluate_seconds histogram" in text


def reply(request_id: str) -> bytes:
    decision = Decision(decision="allow", reason="ok", action_type="shell_command")
    return encode(EvalReply(request_id=request_id, decision=decision))


class FlakyBus(MemoryBus):
    """Fails the first reads, as a Redis restart would."""

    def __init__(self, failures: int) -> None:
        super().__init__()
        self.failures = failures

    async def read(self, streams: dict[str, str], **options: Any) -> Any:
        if self.failures:
            self.failures -= 1
            raise ConnectionError("redis went away")
        return await super().read(streams, **options)


class TestReplies:
    async def test_reader_survives_errors_and_resolves_by_id(self) -> None:
        bus = FlakyBus(failures=2)
        router = ReplyRouter(bus, "vectimus:reply:t")
        router.start()
        first, second = router.expect("a"), router.expect("b")
        await bus.publish("vectimus:reply:t", reply("b"))
        await bus.publish("vectimus:reply:t", b"not msgpack")
        await bus.publish("vectimus:reply:t", reply("a"))
        assert (await asyncio.wait_for(first, 2)).request_id == "a"
        assert (await asyncio.wait_for(second, 2)).request_id == "b"
        await router.stop()

    async def test_publisher_batches_one_tick(self) -> None:
        bus = MemoryBus()
        router = ReplyRouter(bus, "vectimus:reply:t")
        publisher = RequestPublisher(bus, router, stream="q")
        publisher.start()
        for n in range(5):
            publisher.submit(str(n), b"x")
        await asyncio.sleep(0.05)
        assert (publisher.batches, publisher.published) == (1, 5)
        assert await bus.length("q") == 5
        await publisher.stop()

    async def test_a_refused_publish_fails_the_waiting_requests(self) -> None:
        class Refusing(MemoryBus):
            async def publish_many(self, *_: Any, **__: Any) -> list[str]:
                raise ConnectionError("down")

        bus = Refusing()
        router = ReplyRouter(bus, "vectimus:reply:t")
        publisher = RequestPublisher(bus, router)
        publisher.start()
        future = router.expect("a")
        publisher.submit("a", b"x")
        with pytest.raises(BusUnavailableError):
            await asyncio.wait_for(future, 1)
        await publisher.stop()


def event(n: int, decision: str = "allow", source: str = "claude-code") -> bytes:
    return encode(
        EventRecord(
            receipt_id=f"r{n}",
            recorded_at="t",
            source=source,
            principal="p",
            caller="c",
            action_type="shell_command",
            summary="ls",
            decision=decision,
        )
    )


async def collect(
    feed: EventFeed, last: str | None, count: int, **options: Any
) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    stream = feed.follow(
        last, options.pop("accept", lambda _: True), heartbeat_s=0.05, stopping=lambda: False
    )
    async for message in stream:
        if message.id is not None:
            found.append((str(message.id), msgspec.json.decode(str(message.data))["receipt_id"]))
            if len(found) == count:
                break
    await stream.aclose()
    return found


class TestEventFeed:
    async def test_live_then_resume_from_history_and_ring(self) -> None:
        bus = MemoryBus()
        old = [await bus.publish(EVENTS_STREAM, event(n)) for n in range(3)]  # before the tail
        feed = EventFeed(bus, capacity=4)
        feed.start()
        await asyncio.sleep(0.02)
        for n in range(3, 9):  # six more: the ring (4) has evicted two of them
            await bus.publish(EVENTS_STREAM, event(n))
        await asyncio.sleep(0.05)
        resumed = await collect(feed, old[0], 8)
        assert [r for _, r in resumed] == [f"r{n}" for n in range(1, 9)]
        ids = [i for i, _ in resumed]
        assert ids == sorted(ids, key=stream_key)
        await feed.stop()

    async def test_from_now_and_filtered(self) -> None:
        bus = MemoryBus()
        await bus.publish(EVENTS_STREAM, event(0, "deny"))
        feed = EventFeed(bus)
        feed.start()
        await asyncio.sleep(0.02)
        accept = EventFilter.parse("deny", "cursor")
        task = asyncio.create_task(collect(feed, None, 1, accept=accept))
        await asyncio.sleep(0.02)
        await bus.publish(EVENTS_STREAM, event(1, "deny", "claude-code"))
        await bus.publish(EVENTS_STREAM, event(2, "allow", "cursor"))
        await bus.publish(EVENTS_STREAM, event(3, "deny", "cursor"))
        [(_, receipt)] = await asyncio.wait_for(task, 2)
        assert receipt == "r3"
        await feed.stop()

    async def test_filtered_by_rule_and_principal(self) -> None:
        def record(n: int, rules: tuple[str, ...], principal: str, caller: str) -> bytes:
            return encode(
                EventRecord(
                    receipt_id=f"r{n}",
                    recorded_at="t",
                    source="claude-code",
                    principal=principal,
                    caller=caller,
                    action_type="shell_command",
                    summary="rm -rf /",
                    decision="deny",
                    matched_policy_ids=rules,
                )
            )

        bus = MemoryBus()
        await bus.publish(EVENTS_STREAM, record(0, ("a-1", "b-2"), "alice", "ci"))
        await bus.publish(EVENTS_STREAM, record(1, ("b-2",), "bob", "ci"))
        await bus.publish(EVENTS_STREAM, record(2, ("a-1",), "carol", "laptop"))
        await bus.publish(EVENTS_STREAM, record(3, (), "alice", "ci"))
        feed = EventFeed(bus)
        feed.start()
        since = "0-0"  # from the start of the stream
        by_rule = await collect(feed, since, 2, accept=EventFilter.parse(None, None, "a-1"))
        assert [r for _, r in by_rule] == ["r0", "r2"]
        # A principal filter matches the principal or the caller (the API key's name).
        by_key = EventFilter.parse(None, None, None, "laptop, alice")
        assert [r for _, r in await collect(feed, since, 3, accept=by_key)] == ["r0", "r2", "r3"]
        both = EventFilter.parse("deny", "claude-code", "b-2,zzz", "ci")
        assert [r for _, r in await collect(feed, since, 2, accept=both)] == ["r0", "r1"]
        await feed.stop()

    async def test_heartbeats_while_quiet(self) -> None:
        feed = EventFeed(MemoryBus())
        feed.start()
        stream = feed.follow(None, lambda _: True, heartbeat_s=0.01, stopping=lambda: False)
        comments = [(await anext(stream)).comment for _ in range(3)]
        await stream.aclose()
        assert comments[0] == "connected"
        assert comments[1:] == ["heartbeat", "heartbeat"]
        await feed.stop()
