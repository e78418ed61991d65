"""The gateway's in-process fallback counts sessions where the evaluators do."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from typing import Any

import pytest
from litestar.testing import TestClient

from vectimus.core.bus.memory import MemoryBus
from vectimus.core.sessions.memory import MemorySessionCounter
from vectimus.evaluator.main import run as run_evaluator
from vectimus.evaluator.settings import EvaluatorSettings
from vectimus.gateway.app import build_app
from vectimus.gateway.core import EmbeddedService, GatewayCore
from vectimus.gateway.policies import PolicyState
from vectimus.gateway.settings import ServerSettings
from vectimus.gateway.wiring import local_evaluation

SPAWN = {
    "session_id": "sess-fallback",
    "cwd": "/w",
    "tool_name": "Task",
    "tool_input": {"description": "d", "prompt": "p"},
}


def evaluator(sessions: MemorySessionCounter) -> EmbeddedService:
    settings = EvaluatorSettings(consumer="unit", heartbeat_interval_s=0.05, block_ms=50)

    async def run(bus: Any, stop: asyncio.Event) -> None:
        await run_evaluator(bus, settings, stop, sessions=sessions)

    return EmbeddedService("evaluator", run)


@pytest.fixture
def clients() -> Iterator[list[TestClient[Any]]]:
    started: list[TestClient[Any]] = []
    yield started
    for client in started:
        client.__exit__(None, None, None)


def start(clients: list[TestClient[Any]], sessions: MemorySessionCounter, **parts: Any) -> Any:
    settings = ServerSettings(eval_deadline_ms=500)
    core = GatewayCore(
        settings=settings,
        bus=MemoryBus(),
        policies=PolicyState.for_settings(settings, {}),
        local=local_evaluation(sessions),
        **parts,
    )
    client = TestClient(app=build_app(core))
    client.__enter__()
    clients.append(client)
    return client


def test_degraded_spawns_count_with_the_evaluators(clients: list[TestClient[Any]]) -> None:
    sessions = MemorySessionCounter()
    # Spawns 1-6 through the embedded evaluator, 7-11 through the fallback (no evaluator):
    # one counter, as in embedded mode, where both share the gateway's.
    with_evaluator = start(clients, sessions, services=(evaluator(sessions),))
    without = start(clients, sessions)
    body = json.dumps(SPAWN).encode()
    answers = [with_evaluator.post("/evaluate", content=body).json() for _ in range(6)]
    answers += [without.post("/evaluate", content=body).json() for _ in range(5)]
    assert [a["degraded"] for a in answers] == [False] * 6 + [True] * 5
    assert [a["decision"] for a in answers] == ["allow"] * 10 + ["deny"]
    assert answers[-1]["matched_policy_ids"] == ["vectimus-agent-003"]
