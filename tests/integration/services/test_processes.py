"""The services as real processes on real Redis: SIGKILL mid-load, a Redis restart mid-load,
waiting for Redis at start, draining on SIGTERM, and `vectimus health`."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from tests.integration.services.harness import (
    Replies,
    Services,
    alive,
    bash,
    eval_request,
    send,
    until,
)
from tests.redis_server import RedisServer, free_port, redis_binary, unavailable
from vectimus.core.bus.messages import EVAL_STREAM, EVALUATOR_GROUP, HEARTBEAT_PREFIX
from vectimus.core.bus.redis import RedisBus
from vectimus.core.receipts.keys import Keyring, load_or_create_signing_key

VECTIMUS = str(Path(sys.executable).with_name("vectimus"))
FAST_ENV = {
    "VECTIMUS_BLOCK_MS": "50",
    "VECTIMUS_CLAIM_IDLE_MS": "1000",
    "VECTIMUS_RECLAIM_INTERVAL_S": "0.2",
    "VECTIMUS_BATCH_SIZE": "20",
    "VECTIMUS_DRAIN_TIMEOUT_S": "5",
}


class Process:
    """A `vectimus` child with its stderr (JSON log lines) in a file."""

    def __init__(self, args: list[str], log: Path, **env: str) -> None:
        self.log = log
        self.handle = log.open("wb")
        self.popen = subprocess.Popen(
            [VECTIMUS, *args],
            stdout=subprocess.DEVNULL,
            stderr=self.handle,
            env={**os.environ, **FAST_ENV, **env},
        )

    def lines(self) -> list[str]:
        return self.log.read_text(errors="replace").splitlines()

    def stop(self, sig: int = signal.SIGTERM, timeout_s: float = 10) -> int:
        if self.popen.poll() is None:
            self.popen.send_signal(sig)
        try:
            return self.popen.wait(timeout=timeout_s)
        finally:
            self.handle.close()

    def kill(self) -> None:
        if self.popen.poll() is None:
            self.popen.kill()
            self.popen.wait(timeout=5)
        self.handle.close()


@pytest.fixture
def processes() -> Iterator[list[Process]]:
    started: list[Process] = []
    yield started
    for process in started:
        process.kill()


@pytest.fixture
async def redis_bus(redis_url: str) -> AsyncIterator[RedisBus]:
    bus = RedisBus.from_url(redis_url)
    try:
        yield bus
    finally:
        await bus.close()


def keyring() -> Keyring:
    ring = Keyring()
    ring.add(load_or_create_signing_key().public_key)
    return ring


def evaluator(url: str, consumer: str, log: Path) -> Process:
    return Process(["service", "evaluator", "--redis-url", url, "--consumer", consumer], log)


@pytest.mark.timeout(60)
async def test_an_evaluator_killed_mid_load_loses_and_duplicates_nothing(
    redis_url: str, redis_bus: RedisBus, tmp_path: Path, processes: list[Process]
) -> None:
    bus = redis_bus
    first = evaluator(redis_url, "ev-a", tmp_path / "a.log")
    processes.append(first)

    async def a_alive() -> bool:
        return f"{HEARTBEAT_PREFIX}evaluator:ev-a" in await alive(bus, "evaluator")

    await until(a_alive, 15, "the first evaluator's heartbeat")
    services = Services(bus, tmp_path).start(evaluator=False)
    replies = Replies(bus).start()
    try:
        total = 3000
        ids: list[str] = []
        for _ in range(total // 250):
            ids += await send(
                bus, [eval_request(bash(f"terraform destroy -target=m{i}")) for i in range(250)]
            )
        await until(lambda: len(replies.by_request) >= 150, 15, "the first replies")
        first.kill()  # SIGKILL: no drain, whatever it had read stays pending
        killed_with = len(replies.by_request)
        pending = await bus.pending_count(EVAL_STREAM, EVALUATOR_GROUP)
        processes.append(evaluator(redis_url, "ev-b", tmp_path / "b.log"))
        await until(lambda: replies.answered(ids), 30, "every request answered")
        assert killed_with < total, "the evaluator finished before it was killed"

        receipt_of = {}
        for request_id in ids:
            found = {r.decision.receipt_id for r in replies.by_request[request_id]}
            assert len(found) == 1, "a request answered twice must keep its receipt id"
            receipt_of[request_id] = found.pop()
        assert all(replies.by_request[i][0].decision.decision == "deny" for i in ids)

        def settled() -> bool:
            return len(services.audit_records()) >= total

        await until(settled, 30, "every audit record")
        await asyncio.sleep(0.5)  # anything extra would arrive now
        records = services.audit_records()
        audited = [r.receipt_id for r in records]
        assert len(audited) == len(set(audited)) == total, "no audit record lost or duplicated"
        assert set(audited) == set(receipt_of.values())
        assert not services.chain_ok(keyring())
        assert processes[-1].stop() == 0
        print(f"killed after {killed_with} replies, {pending} entries pending")
    finally:
        await replies.stop()
        await services.close()


@pytest.mark.timeout(60)
async def test_services_recover_from_a_redis_restart_mid_load(
    own_redis: RedisServer, tmp_path: Path
) -> None:
    bus = RedisBus.from_url(own_redis.url)
    services = Services(bus, tmp_path).start()
    replies = Replies(bus).start()
    sent_before: list[str] = []
    sent_after: list[str] = []
    restarted = asyncio.Event()
    stop_load = asyncio.Event()

    async def load() -> None:
        while not stop_load.is_set():
            batch = [eval_request(bash("git push --force")) for _ in range(5)]
            try:
                published = await send(bus, batch)
            except Exception:  # noqa: BLE001 - Redis is down for a moment: the gateway would degrade
                published = []
            (sent_after if restarted.is_set() else sent_before).extend(published)
            await asyncio.sleep(0.02)

    loader = asyncio.create_task(load())
    try:
        await until(lambda: replies.answered(sent_before) and len(sent_before) > 50, 15, "load")
        await asyncio.to_thread(own_redis.restart)  # no persistence: streams and groups gone
        restarted.set()
        await asyncio.sleep(1.5)
        stop_load.set()
        await loader
        assert len(sent_after) > 20
        await until(lambda: replies.answered(sent_after), 20, "requests sent after the restart")

        async def all_alive() -> bool:
            return all([await alive(bus, s) for s in ("evaluator", "receipt-signer", "audit-sink")])

        await until(all_alive, 10, "heartbeats after the restart")
        after = {replies.by_request[i][0].decision.receipt_id for i in sent_after}

        def audited() -> bool:
            return after <= {r.receipt_id for r in services.audit_records()}

        await until(audited, 20, "audit records of the requests sent after the restart")
        ids = [r.receipt_id for r in services.audit_records()]
        assert len(ids) == len(set(ids))
    finally:
        stop_load.set()
        await loader
        await replies.stop()
        await services.close()
        await bus.close()


@pytest.mark.timeout(40)
async def test_a_service_waits_for_redis_then_drains_on_sigterm(
    tmp_path: Path, processes: list[Process]
) -> None:
    binary = redis_binary()
    if binary is None:
        unavailable("needs a redis-server binary")
    server = RedisServer(binary, free_port())
    url = server.url
    sink = Process(
        ["service", "audit-sink", "--redis-url", url, "--audit-dir", str(tmp_path / "audit")],
        tmp_path / "sink.log",
    )
    processes.append(sink)
    try:

        def complained() -> bool:
            return any("redis unreachable" in line for line in sink.lines())

        await until(complained, 15, "the unreachable-Redis log line")
        assert sink.popen.poll() is None, "an unreachable Redis is waited for, not a crash"
        server.start()
        bus = RedisBus.from_url(url)
        try:

            async def sink_alive() -> bool:
                return bool(await alive(bus, "audit-sink"))

            await until(sink_alive, 15, "the sink's heartbeat")
            health = subprocess.run(
                [VECTIMUS, "health", "--redis-url", url, "--service", "audit-sink", "--this-host"],
                capture_output=True,
                text=True,
                timeout=30,
                check=False,
            )
            assert health.returncode == 0, health.stderr
            assert health.stdout.startswith("audit-sink: 1 alive")
            started = time.monotonic()
            assert sink.stop(signal.SIGTERM) == 0
            assert time.monotonic() - started < 5
            assert not await alive(bus, "audit-sink")
        finally:
            await bus.close()
    finally:
        server.close()
    lines = [json.loads(line) for line in sink.lines()]
    assert all(
        {"event", "level", "timestamp", "request_id", "receipt_id", "component"} <= set(x)
        for x in lines
    )
    assert lines[-1]["event"] == "worker stopped"
    assert all("Traceback" not in json.dumps(x) for x in lines)


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "VECTIMUS_REDIS_URL"}
    return subprocess.run(
        [VECTIMUS, *args], capture_output=True, text=True, env=env, timeout=30, check=False
    )


@pytest.mark.timeout(60)
async def test_health_says_who_is_alive(redis_url: str, redis_bus: RedisBus) -> None:
    none = run_cli("health", "--redis-url", redis_url, "--service", "evaluator")
    assert none.returncode == 1
    assert none.stderr.strip() == "vectimus health: no live heartbeat for evaluator"
    beat = {"host": "elsewhere", "service": "evaluator"}
    await redis_bus.set_value(
        f"{HEARTBEAT_PREFIX}evaluator:e1", json.dumps(beat).encode(), ttl_s=30
    )
    some = run_cli("health", "--redis-url", redis_url, "--service", "evaluator")
    assert (some.returncode, some.stdout.strip()) == (0, "evaluator: 1 alive (e1)")
    here = run_cli("health", "--redis-url", redis_url, "--service", "evaluator", "--this-host")
    assert here.returncode == 1
    everyone = run_cli("health", "--redis-url", redis_url)
    assert everyone.returncode == 1
    assert "receipt-signer, audit-sink" in everyone.stderr
    down = run_cli(
        "health", "--redis-url", f"redis://:secret@127.0.0.1:{free_port()}/0", "--timeout", "1"
    )
    assert down.returncode == 2
    assert "cannot reach Redis" in down.stderr and "secret" not in down.stderr


@pytest.mark.timeout(60)
def test_service_errors_are_one_line(tmp_path: Path) -> None:
    no_url = run_cli("service", "evaluator")
    assert no_url.returncode == 2
    assert no_url.stderr.strip() == (
        "vectimus service: error: no Redis URL: pass --redis-url or set VECTIMUS_REDIS_URL"
    )
    wrong_option = run_cli(
        "service", "receipt-signer", "--redis-url", "redis://x", "--policy-dir", "p"
    )
    assert wrong_option.returncode == 2
    assert "--policy-dir applies to the evaluator only" in wrong_option.stderr
    broken = tmp_path / "policies" / "broken"
    broken.mkdir(parents=True)
    (broken / "pack.toml").write_text('name = "broken"\nversion = "1.0.0"\n')
    (broken / "bad.cedar").write_text("forbid (principal, action, resource) when { nonsense")
    bad_policies = run_cli(
        "service",
        "evaluator",
        "--redis-url",
        "redis://127.0.0.1:1/0",
        "--policy-dir",
        str(tmp_path / "policies"),
    )
    assert bad_policies.returncode == 2
    assert len(bad_policies.stderr.strip().splitlines()) == 1, bad_policies.stderr
    assert "Traceback" not in bad_policies.stderr
