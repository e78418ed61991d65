"""A batch's session counting runs beside its evaluation; only agent actions wait for it."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence

import pytest

from vectimus.core.bus.messages import EvalRequest
from vectimus.core.sessions import SessionCall, SessionCounts
from vectimus.core.sessions.counts import session_key
from vectimus.core.sessions.memory import MemorySessionCounter
from vectimus.evaluator.batch import Entry, answers_of
from vectimus.evaluator.handler import Answer, Evaluation
from vectimus.evaluator.main import evaluation_of, load_runtime
from vectimus.evaluator.settings import EvaluatorSettings


class HeldCounter:
    """Counts in memory, but answers only once ``release`` is set."""

    def __init__(self) -> None:
        self.release = asyncio.Event()
        self.started = asyncio.Event()
        self.inner = MemorySessionCounter()

    async def count(self, calls: Sequence[SessionCall], *, ttl_s: int) -> list[SessionCounts]:
        self.started.set()
        await self.release.wait()
        return await self.inner.count(calls, ttl_s=ttl_s)


@pytest.fixture(scope="module")
def evaluation() -> Evaluation:
    return evaluation_of(load_runtime(EvaluatorSettings()), "unit")


def _entry(number: int, tool: str, tool_input: dict[str, str]) -> Entry:
    payload = {"session_id": "s1", "cwd": "/w", "tool_name": tool, "tool_input": tool_input}
    request = EvalRequest(
        request_id=f"r{number}",
        reply_to="vectimus:reply:unit",
        source="claude-code",
        payload=json.dumps(payload).encode(),
        receipt_id=f"01a2513a-0000-7000-8000-{number:012d}",
    )
    return f"1-{number}", request


SHELL = ("Bash", {"command": "git status"})
SPAWN = ("Task", {"description": "d", "prompt": "p", "subagent_type": "general-purpose"})


async def test_calls_that_read_no_counts_do_not_wait_for_them(evaluation: Evaluation) -> None:
    counter = HeldCounter()
    batch = [_entry(1, *SHELL), _entry(2, *SHELL), _entry(3, *SPAWN)]
    answers = answers_of(evaluation, batch, counter)
    first = await anext(answers)
    second = await anext(answers)
    assert [a.reply.request_id for a in (first, second)] == ["r1", "r2"]
    assert not counter.release.is_set()  # decided while the counts were still out
    spawn: asyncio.Task[Answer] = asyncio.ensure_future(anext(answers))
    await asyncio.sleep(0.05)
    assert not spawn.done()  # the spawn waits for its session's counts
    counter.release.set()
    assert (await spawn).reply.request_id == "r3"
    with pytest.raises(StopAsyncIteration):
        await anext(answers)
    # Every call counted, the spawn's own included, in batch order.
    one_more = SessionCall(session_key("claude-code", "s1"), "tool", "")
    [after] = await counter.inner.count([one_more], ttl_s=60)
    assert (after.tool_calls, after.spawns) == (4, 1)  # three, and the probe


async def test_the_batch_ends_only_once_its_counts_are_in(evaluation: Evaluation) -> None:
    counter = HeldCounter()
    answers = answers_of(evaluation, [_entry(1, *SHELL)], counter)
    assert (await anext(answers)).reply.request_id == "r1"
    finished: asyncio.Task[Answer] = asyncio.ensure_future(anext(answers))
    await asyncio.sleep(0.05)
    assert counter.started.is_set() and not finished.done()
    counter.release.set()
    with pytest.raises(StopAsyncIteration):
        await finished


async def test_the_eleventh_spawn_in_one_batch_is_denied(evaluation: Evaluation) -> None:
    batch = [_entry(n, *SPAWN) for n in range(1, 12)] + [_entry(12, *SHELL)]
    found = [a async for a in answers_of(evaluation, batch, MemorySessionCounter())]
    decisions = [a.reply.decision.decision for a in found]
    assert decisions[:10] == ["allow"] * 10
    assert decisions[10] != "allow"
    assert decisions[11] == "allow"


async def test_an_abandoned_batch_stops_its_counting(evaluation: Evaluation) -> None:
    counter = HeldCounter()
    answers = answers_of(evaluation, [_entry(1, *SHELL), _entry(2, *SHELL)], counter)
    await anext(answers)
    await asyncio.sleep(0)
    await answers.aclose()
    await asyncio.sleep(0)
    assert counter.started.is_set()
    assert not counter.release.is_set()  # nothing left waiting on it
