"""A gateway core on the in-process bus, with the real evaluator service (or none)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import TestClient

from vectimus.core.bus.memory import MemoryBus
from vectimus.core.bus.messages import HEARTBEAT_PREFIX
from vectimus.evaluator.main import run as run_evaluator
from vectimus.evaluator.settings import EvaluatorSettings
from vectimus.gateway.app import build_app
from vectimus.gateway.core import EmbeddedService, GatewayCore
from vectimus.gateway.policies import PolicyState
from vectimus.gateway.settings import ServerSettings
from vectimus.gateway.wiring import local_evaluation


def evaluator_service(policy_dir: Path | None = None) -> EmbeddedService:
    settings = EvaluatorSettings.from_env(
        {},
        consumer="unit",
        policy_dir=policy_dir,
        heartbeat_ttl_s=2.0,
        heartbeat_interval_s=0.05,
        block_ms=50,
    )

    async def run(bus: Any, stop: asyncio.Event) -> None:
        await run_evaluator(bus, settings, stop)

    return EmbeddedService("evaluator", run)


def hung_evaluator() -> EmbeddedService:
    """An evaluator that reports alive and never answers (a hung worker)."""

    async def run(bus: Any, stop: asyncio.Event) -> None:
        while not stop.is_set():
            await bus.set_value(f"{HEARTBEAT_PREFIX}evaluator:silent", b"{}", ttl_s=2.0)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), 0.05)

    return EmbeddedService("evaluator", run)


def make_core(
    *, evaluator: bool = True, silent_evaluator: bool = False, **options: Any
) -> GatewayCore:
    settings = ServerSettings(**{"eval_deadline_ms": 500, **options})
    services = (evaluator_service(settings.policy_dir),) if evaluator else ()
    if silent_evaluator:
        services = (hung_evaluator(),)
    return GatewayCore(
        settings=settings,
        bus=MemoryBus(),
        policies=PolicyState.for_settings(settings, {}),
        local=local_evaluation(),
        services=services,
    )


ClientFactory = Callable[..., tuple[TestClient[Any], GatewayCore]]


@pytest.fixture
def gateway() -> Iterator[ClientFactory]:
    """``gateway(**options)``: a started app's client (the lifespan has run) and its core.

    The app runs on its own event loop in a thread: reach the core's bus through
    ``client.blocking_portal.call``."""
    clients: list[TestClient[Any]] = []

    def start(**options: Any) -> tuple[TestClient[Any], GatewayCore]:
        core = make_core(**options)
        client = TestClient(app=build_app(core))
        client.__enter__()
        clients.append(client)
        return client, core

    yield start
    for client in clients:
        client.__exit__(None, None, None)
