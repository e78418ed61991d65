"""Session counts in a real Redis, shared by two evaluators: they count as one.

The eleventh spawn of a session is denied wherever it lands: spawns 1-5 go to evaluator A
alone, 6-10 to evaluator B alone, and from the eleventh on both are running. A burst of
concurrent spawns through both lets exactly the limit through.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator

import pytest

from tests.integration.services.harness import FAST, Replies, eval_request, send, until
from vectimus.core.bus.redis import RedisBus
from vectimus.core.events import Decision
from vectimus.core.sessions import SessionCall
from vectimus.core.sessions.redis import RedisSessionCounter
from vectimus.evaluator.main import run as run_evaluator
from vectimus.evaluator.settings import EvaluatorSettings


def spawn(session: str) -> bytes:
    return json.dumps(
        {
            "session_id": session,
            "cwd": "/w",
            "hook_event_name": "PreToolUse",
            "tool_name": "Task",
            "tool_input": {"description": "d", "prompt": "p", "subagent_type": "general-purpose"},
        }
    ).encode()


class Evaluator:
    """One evaluator service (its own bus, its own Redis session counter), as a task."""

    def __init__(self, url: str, name: str) -> None:
        self.bus = RedisBus.from_url(url)
        self.stop = asyncio.Event()
        settings = EvaluatorSettings(redis_url=url, consumer=name, **FAST)
        self.task = asyncio.create_task(run_evaluator(self.bus, settings, self.stop))

    async def close(self) -> None:
        self.stop.set()
        await asyncio.wait_for(self.task, 10)
        await self.bus.close()


@pytest.fixture
async def bus(redis_url: str) -> AsyncIterator[RedisBus]:
    found = RedisBus.from_url(redis_url)
    try:
        yield found
    finally:
        await found.close()


async def decide(
    bus: RedisBus, replies: Replies, session: str, count: int
) -> list[tuple[str, Decision]]:
    """Send ``count`` spawns one at a time; (evaluator, decision) of each."""
    found = []
    for _ in range(count):
        [request_id] = await send(bus, [eval_request(spawn(session))])
        await until(lambda rid=request_id: replies.answered([rid]), 15, "a reply")
        reply = replies.by_request[request_id][0]
        found.append((reply.evaluator, reply.decision))
    return found


async def test_the_eleventh_spawn_is_denied_wherever_it_lands(
    redis_url: str, bus: RedisBus
) -> None:
    replies = Replies(bus).start()
    session = f"shared-{uuid.uuid4().hex}"
    first = Evaluator(redis_url, "ev-a")
    second: Evaluator | None = None
    try:
        early = await decide(bus, replies, session, 5)
        second = Evaluator(redis_url, "ev-b")
        await first.close()
        middle = await decide(bus, replies, session, 5)
        first = Evaluator(redis_url, "ev-a")
        late = await decide(bus, replies, session, 4)
    finally:
        await replies.stop()
        for evaluator in (first, second):
            if evaluator is not None and not evaluator.task.done():
                await evaluator.close()
    assert {name for name, _ in early} == {"ev-a"}
    assert {name for name, _ in middle} == {"ev-b"}
    assert [d.decision for _, d in early + middle] == ["allow"] * 10
    assert [d.decision for _, d in late] == ["deny"] * 4
    assert all("vectimus-agent-003" in d.matched_policy_ids for _, d in late)


async def test_a_burst_through_two_evaluators_lets_the_limit_through(
    redis_url: str, bus: RedisBus
) -> None:
    replies = Replies(bus).start()
    evaluators = [Evaluator(redis_url, "ev-a"), Evaluator(redis_url, "ev-b")]
    session = f"burst-{uuid.uuid4().hex}"
    try:
        await asyncio.sleep(0.5)  # both are reading
        ids = await send(bus, [eval_request(spawn(session)) for _ in range(24)])
        await until(lambda: replies.answered(ids), 20, "24 replies")
    finally:
        await replies.stop()
        for evaluator in evaluators:
            await evaluator.close()
    decisions = [replies.by_request[i][0].decision.decision for i in ids]
    assert decisions.count("allow") == 10 and decisions.count("deny") == 14


class TestCounter:
    async def test_two_clients_count_atomically(self, redis_url: str) -> None:
        counters = [RedisSessionCounter(RedisBus.from_url(redis_url)) for _ in range(2)]
        try:
            results = await asyncio.gather(
                *(
                    counters[i % 2].count([SessionCall("s", "spawn", f"call-{i}")], ttl_s=60)
                    for i in range(60)
                )
            )
        finally:
            for counter in counters:
                await counter.bus.close()
        assert sorted(r[0].spawns for r in results) == list(range(1, 61))

    async def test_a_redelivered_call_counts_once_and_the_session_expires(
        self, redis_url: str
    ) -> None:
        counter = RedisSessionCounter(RedisBus.from_url(redis_url))
        try:
            calls = [SessionCall("s2", "message", "r1"), SessionCall("s2", "message", "r1")]
            first, again = await counter.count(calls, ttl_s=120)
            assert first == again and first.messages == 1 and first.tool_calls == 1
            [ttl] = await counter.bus.execute([("TTL", "vectimus:session:{s2}")])
            assert 0 < ttl <= 120
        finally:
            await counter.bus.close()

    async def test_an_unreachable_redis_gives_counts_that_say_so(self) -> None:
        counter = RedisSessionCounter(RedisBus.from_url("redis://127.0.0.1:9/0"))
        try:
            [found] = await counter.count([SessionCall("s", "spawn", "")], ttl_s=60)
        finally:
            await counter.bus.close()
        assert found.error.startswith("the session counter in Redis failed")
