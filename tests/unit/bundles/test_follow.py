"""The follower: a new set announced by one process wakes the others at once, and a process
acknowledges its swap with a notice of its own."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

from vectimus.core.bundles.follow import Follower
from vectimus.core.bus.memory import MemoryBus
from vectimus.core.bus.messages import POLICY_STREAM, PolicyNotice, decode
from vectimus.core.runtime import Runtime, server_environment, server_runtime
from vectimus.core.snapshot import dependency

from .conftest import write_pack


class Process:
    """The part of a gateway or an evaluator the follower drives: one runtime reference."""

    def __init__(self, environ: dict[str, str]) -> None:
        self.environ = environ
        self.runtime: Runtime = server_runtime(environ)
        self.reloads = 0

    async def reload(self) -> bool:
        self.reloads += 1
        snapshot = self.runtime.snapshot
        if all(dependency(Path(d[0])) == tuple(d) for d in snapshot.deps):
            return False
        self.runtime = await asyncio.to_thread(server_runtime, self.environ)
        return True

    @property
    def hash(self) -> str:
        return self.runtime.snapshot.compiled.policy_set_hash


async def notices(bus: MemoryBus) -> list[PolicyNotice]:
    found = await bus.read({POLICY_STREAM: "0"}, count=1000)
    return [decode(d.payload, PolicyNotice) for d in found.get(POLICY_STREAM, [])]


async def until(check: object, timeout: float = 5.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not check():  # type: ignore[operator]
        assert asyncio.get_running_loop().time() < deadline, "timed out"
        await asyncio.sleep(0.01)


async def test_a_notice_wakes_the_others_and_they_acknowledge(
    tmp_path: Path, vectimus_home: Path
) -> None:
    # Two directories with the same packs, as two hosts would have: the gateway sees the
    # change first; the evaluator, with a one-minute timer, moves on the gateway's notice.
    gateway_dir = write_pack(tmp_path / "g", {"r-1": "alpha"})
    evaluator_dir = write_pack(tmp_path / "e", {"r-1": "alpha"})
    gateway = Process(server_environment(os.environ, policy_dir=gateway_dir, observe=False))
    evaluator = Process(server_environment(os.environ, policy_dir=evaluator_dir, observe=False))
    bus, stop = MemoryBus(), asyncio.Event()
    leader = Follower(bus=bus, service="gateway", instance="gw", kind="version", environ={})
    follower = Follower(bus=bus, service="evaluator", instance="ev", kind="ack", environ={})
    leader.start(stop, interval_s=0.05, reload=gateway.reload, current=lambda: gateway.runtime)
    follower.start(stop, interval_s=60, reload=evaluator.reload, current=lambda: evaluator.runtime)
    try:
        await until(lambda: evaluator.reloads == 0 and gateway.reloads > 0)
        write_pack(evaluator_dir, {"r-2": "beta"})
        write_pack(gateway_dir, {"r-2": "beta"})
        await until(
            lambda: (
                evaluator.hash == gateway.hash
                and "r-2" in evaluator.runtime.snapshot.compiled.rules
            )
        )
        assert evaluator.reloads >= 1  # woken, long before its own timer
        sent = await notices(bus)
        assert [(n.kind, n.instance) for n in sent if n.policy_set_hash == gateway.hash] == [
            ("version", "gw"),
            ("ack", "ev"),
        ]
        assert sent[-1].source == str(evaluator_dir.resolve())
    finally:
        stop.set()
        await leader.join()
        await follower.join()


async def test_the_same_hash_wakes_nobody(tmp_path: Path, vectimus_home: Path) -> None:
    environ = server_environment(
        os.environ, policy_dir=write_pack(tmp_path, {"r": "x"}), observe=False
    )
    one, two = Process(environ), Process(environ)
    bus, stop = MemoryBus(), asyncio.Event()
    first = Follower(bus=bus, service="gateway", instance="a", kind="version", environ={})
    second = Follower(bus=bus, service="evaluator", instance="b", kind="ack", environ={})
    first.start(stop, interval_s=60, reload=one.reload, current=lambda: one.runtime)
    second.start(stop, interval_s=60, reload=two.reload, current=lambda: two.runtime)
    try:
        said: list[PolicyNotice] = []

        async def both_said() -> None:
            while len(said) < 2:
                said[:] = await notices(bus)
                await asyncio.sleep(0.01)

        await asyncio.wait_for(both_said(), 5)  # each says once, at start, what it runs
        await asyncio.sleep(0.3)
        assert (one.reloads, two.reloads) == (0, 0)
        assert len(await notices(bus)) == 2
    finally:
        stop.set()
        await first.join()
        await second.join()
