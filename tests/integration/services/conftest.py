"""Each test gets a bus (in-process and real Redis) and services that are always stopped."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.integration.services.harness import Replies, Services
from vectimus.core.bus import Bus
from vectimus.core.bus.memory import MemoryBus
from vectimus.core.bus.redis import RedisBus


@pytest.fixture(params=["memory", "redis"])
async def bus(request: pytest.FixtureRequest) -> AsyncIterator[Bus]:
    found: Bus = (
        MemoryBus()
        if request.param == "memory"
        else RedisBus.from_url(request.getfixturevalue("redis_url"))
    )
    try:
        yield found
    finally:
        await found.close()


@pytest.fixture
async def services(bus: Bus, tmp_path: Path) -> AsyncIterator[Services]:
    running = Services(bus, tmp_path)
    try:
        yield running
    finally:
        await running.close()


@pytest.fixture
async def replies(bus: Bus) -> AsyncIterator[Replies]:
    reader = Replies(bus).start()
    try:
        yield reader
    finally:
        await reader.stop()
