"""One fault under a steady load, from a fresh stack to the checked counts.

A run: start the stack and a dashboard following /events; start the load; after
``before_s`` inject the fault and hold it ``hold_s`` (the process stays dead, Redis stays
down or stopped), then recover it (a killed service is started again; granian replaces a
killed worker itself); make the dashboard resume once with Last-Event-ID; keep loading for
``after_s``; stop the load, let the pipeline drain, then read the audit log, the receipts and
the events stream and check them (:mod:`tests.chaos.check`).
"""

from __future__ import annotations

import asyncio
import subprocess
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.harness import percentile

from tests.chaos.check import Tally, Trail, tally
from tests.chaos.events import Follower
from tests.chaos.load import SteadyLoad
from tests.chaos.stack import Stack, StackConfig
from tests.integration.gateway.conftest import VECTIMUS, base_env
from vectimus.core.audit.reader import LineProblem, query
from vectimus.core.receipts.store import load_receipts

Inject = Callable[[Stack, float], Awaitable[str]]


async def kill_evaluator(stack: Stack, hold_s: float) -> str:
    pid = await asyncio.to_thread(stack.kill_service, "evaluator")
    await asyncio.sleep(hold_s)
    stack.start_service("evaluator")
    return f"SIGKILL evaluator {pid} (1 of {stack.config.evaluators}), new one after {hold_s} s"


async def kill_signer(stack: Stack, hold_s: float) -> str:
    pid = await asyncio.to_thread(stack.kill_service, "receipt-signer")
    await asyncio.sleep(hold_s)
    stack.start_service("receipt-signer")
    return f"SIGKILL receipt-signer {pid}, new one after {hold_s} s"


async def kill_sink(stack: Stack, hold_s: float) -> str:
    pid = await asyncio.to_thread(stack.kill_service, "audit-sink")
    await asyncio.sleep(hold_s)
    stack.start_service("audit-sink")
    return f"SIGKILL audit-sink {pid}, new one after {hold_s} s"


async def kill_gateway_worker(stack: Stack, hold_s: float) -> str:
    before = set(stack.gateway_workers())
    pid = stack.kill_gateway_worker()
    deadline = time.monotonic() + max(hold_s, 30.0)
    while len(set(stack.gateway_workers()) - before) < 1 and time.monotonic() < deadline:
        await asyncio.sleep(0.1)
    replaced = sorted(set(stack.gateway_workers()) - before)
    return f"SIGKILL gateway worker {pid} of {len(before)}; granian started {replaced}"


async def restart_redis(stack: Stack, hold_s: float) -> str:
    await asyncio.to_thread(stack.redis.stop)
    await asyncio.sleep(hold_s)
    await asyncio.to_thread(stack.redis.start)
    return f"Redis stopped (SIGTERM, AOF written), down {hold_s} s, started on the same port"


async def stall_redis(stack: Stack, hold_s: float) -> str:
    stack.stall_redis()
    await asyncio.sleep(hold_s)
    stack.resume_redis()
    return f"Redis SIGSTOP for {hold_s} s, then SIGCONT"


FAULTS: dict[str, Inject] = {
    "evaluator-sigkill": kill_evaluator,
    "signer-sigkill": kill_signer,
    "sink-sigkill": kill_sink,
    "gateway-worker-sigkill": kill_gateway_worker,
    "redis-restart": restart_redis,
    "redis-stall": stall_redis,
}
# Short tags for the call markers: words like "kill" in a command would change its decision.
TAGS = {name: f"f{n}" for n, name in enumerate(FAULTS, start=1)}


@dataclass(frozen=True)
class Plan:
    rate: float = 300.0
    concurrency: int = 8
    before_s: float = 3.0
    hold_s: float = 3.0
    after_s: float = 3.0
    drain_timeout_s: float = 45.0
    config: StackConfig = field(default_factory=StackConfig)


@dataclass
class FaultResult:
    fault: str
    what: str
    tally: Tally
    timings: dict[str, Any]

    @property
    def row(self) -> dict[str, Any]:
        return {"fault": self.fault, **self.tally.counts, **self.timings}


async def run_fault(root: Path, fault: str, plan: Plan) -> FaultResult:
    stack = Stack(root / fault, plan.config)
    await asyncio.to_thread(stack.start)
    follower: Follower | None = None
    try:
        follower = await asyncio.to_thread(Follower(f"{stack.url}/events", stack.headers).start)
        load = SteadyLoad(
            stack.port,
            stack.headers,
            tag=TAGS[fault],
            rate=plan.rate,
            concurrency=plan.concurrency,
        )
        stop = asyncio.Event()
        driving = asyncio.create_task(load.run(stop))
        await asyncio.sleep(plan.before_s)
        injected = time.monotonic()
        what = await FAULTS[fault](stack, plan.hold_s)
        await asyncio.to_thread(stack.wait_alive, 30.0)
        recovered_s = time.monotonic() - injected
        await asyncio.to_thread(follower.resume)
        await asyncio.sleep(plan.after_s)
        stop.set()
        await driving
        drain_s = await asyncio.to_thread(drain, stack, follower, plan.drain_timeout_s)
        follower.stop()
        trail = await asyncio.to_thread(read_trail, stack, follower)
        latencies = [a.latency_ms for a in load.answers if a.status]
        timings = {
            "p99_ms": round(percentile(latencies, 99), 1) if latencies else None,
            "max_ms": round(max(latencies), 1) if latencies else None,
            "recovered_s": round(recovered_s, 1),
            "drained_s": round(drain_s, 1),
        }
        return FaultResult(fault, what, tally(load.answers, trail), timings)
    except BaseException:
        print(stack.logs())
        raise
    finally:
        if follower is not None:
            follower.stop()
        await asyncio.to_thread(stack.stop)


def drain(stack: Stack, follower: Follower, timeout_s: float) -> float:
    """Until the work streams are empty, the audit log has stopped growing and the dashboard
    has seen the whole events stream; the seconds that took (``timeout_s`` at most)."""
    started = time.monotonic()
    deadline = started + timeout_s
    last_count, steady_since = -1, time.monotonic()
    while time.monotonic() < deadline:
        count = sum(1 for _ in query(stack.audit_dir)) if stack.audit_dir.is_dir() else 0
        if count != last_count:
            last_count, steady_since = count, time.monotonic()
        empty = not any(stack.backlog().values())
        seen = {s.event_id for s in follower.seen}
        if empty and time.monotonic() - steady_since > 1.0 and seen >= set(stack.event_ids()):
            break
        time.sleep(0.2)
    return time.monotonic() - started


def read_trail(stack: Stack, follower: Follower) -> Trail:
    problems: list[LineProblem] = []
    records = list(query(stack.audit_dir, problems=problems))
    stored, unreadable = load_receipts(stack.receipts_dir)
    verify = subprocess.run(
        [
            VECTIMUS,
            "verify",
            "--chain",
            str(stack.receipts_dir),
            "--keyring",
            str(stack.keyring_dir),
        ],
        capture_output=True,
        text=True,
        env=base_env(stack.home),
        timeout=120,
        check=False,
    )
    return Trail(
        records=records,
        receipts=[entry.receipt for entry in stored],
        chain_ok=verify.returncode == 0,
        chain_output=(verify.stdout + verify.stderr).strip(),
        event_ids=stack.event_ids(),
        seen=list(follower.seen),
        problems=[str(p) for p in problems] + [f"{p.path}: {p.reason}" for p in unreadable],
    )
