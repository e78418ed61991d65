"""The load knee of the distributed stack: concurrency doubled until p99 passes 50 ms.

Each step runs bench/loadgen.py's closed loop (C keep-alive connections, one request at a
time each) for ``step_s`` seconds on the same stack, and reads every process's CPU time and
resident memory from /proc before and after. The knee is the last step whose p99 is within
the limit. Then the stack is soaked at the knee's concurrency for what is left of the
budget (the whole run stays within ``budget_s``, 60 s).

Memory must stay flat: each Vectimus process's RSS once the trail has drained at the end is
compared with its RSS after the first soak step (imports done, caches warm, buffers sized
for that concurrency). Redis is reported but not judged: it holds the events stream by
design (bounded by MAXLEN, the SSE replay window), so it grows with every decision until
that bound.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from typing import Any

from bench.harness import percentile
from bench.loadgen import request_bytes, run_load

from tests.chaos.load import calls
from tests.chaos.procstat import Sample, sample
from tests.chaos.stack import Stack

LEVELS = (1, 2, 4, 8, 16, 32, 64, 128, 256)
P99_LIMIT_MS = 50.0
MiB = 1024 * 1024
# RSS growth over the run that still counts as flat: allocator arenas and buffers sized by
# the highest concurrency are kept, and the audit sink's receipt-id index grows by design
# (about 100 bytes per decision).
FLAT_SLACK_BYTES = 24 * MiB
FLAT_SLACK_RATIO = 0.25


@dataclass
class KneeResult:
    steps: list[dict[str, Any]] = field(default_factory=list)
    knee: dict[str, Any] | None = None
    soak: list[dict[str, Any]] = field(default_factory=list)
    memory: list[dict[str, Any]] = field(default_factory=list)
    seconds: float = 0.0
    # The machine is shared: what else ran shows in the load average around the ramp.
    load_average: tuple[float, float] = (0.0, 0.0)

    @property
    def memory_flat(self) -> bool:
        judged = [row for row in self.memory if row["judged"]]
        return bool(judged) and all(row["flat"] for row in judged)


def _samples(pids: dict[str, int]) -> dict[str, Sample]:
    found = {name: sample(pid) for name, pid in pids.items()}
    return {name: s for name, s in found.items() if s is not None}


def _step_row(
    concurrency: int,
    result: Any,
    before: dict[str, Sample],
    after: dict[str, Sample],
    wall_s: float,
    backlog: int,
) -> dict[str, Any]:
    samples = result.latencies_ms
    ok = result.statuses.get(200, 0)
    cpu = {
        name: round((after[name].cpu_s - before[name].cpu_s) / wall_s * 100)
        for name in after
        if name in before
    }
    return {
        "c": concurrency,
        "req_s": round(result.rps),
        "p50_ms": round(percentile(samples, 50), 2) if samples else None,
        "p99_ms": round(percentile(samples, 99), 2) if samples else None,
        "non_200": len(samples) - ok + result.errors,
        "trail_backlog": backlog,
        "cpu_pct": " ".join(f"{k}={v}" for k, v in cpu.items()),
        "rss_mb": " ".join(f"{k}={after[k].rss_bytes / MiB:.0f}" for k in after),
    }


async def _step(
    stack: Stack,
    requests: list[bytes],
    pids: dict[str, int],
    concurrency: int,
    *,
    step_s: float,
    warmup_s: float,
) -> tuple[dict[str, Any], dict[str, Sample]]:
    before = _samples(pids)
    stepped = time.monotonic()
    load = await run_load(
        "127.0.0.1",
        stack.port,
        requests,
        concurrency=concurrency,
        seconds=step_s,
        warmup_s=warmup_s,
    )
    after = _samples(pids)
    backlog = sum(stack.backlog().values())
    row = _step_row(concurrency, load, before, after, time.monotonic() - stepped, backlog)
    print(row, flush=True)
    return row, after


def _over(row: dict[str, Any]) -> bool:
    return row["p99_ms"] is None or row["p99_ms"] > P99_LIMIT_MS


async def find_knee(
    stack: Stack,
    *,
    levels: tuple[int, ...] = LEVELS,
    step_s: float = 4.0,
    warmup_s: float = 0.5,
    budget_s: float = 60.0,
    soak_s: float = 20.0,
    drain_s: float = 30.0,
) -> KneeResult:
    """Ramp up to the knee, then soak at the knee for what is left of ``budget_s``.

    A step over the limit is run once more before it counts: on a shared machine one noisy
    step must not end the ramp. The soak is what judges memory: RSS after its first step
    against RSS once the trail has drained at the end."""
    headers = stack.headers
    requests = [
        request_bytes("127.0.0.1", stack.port, "/evaluate", call.body, headers)
        for call, _ in zip(calls("kn"), range(256), strict=False)
    ]
    pids = stack.pids()
    result = KneeResult()
    started = time.monotonic()
    load_before = os.getloadavg()[0]

    def time_left(reserve_s: float = 0.0) -> bool:
        return time.monotonic() - started + step_s + warmup_s + reserve_s <= budget_s

    for concurrency in levels:
        if not time_left(soak_s):
            break
        row, _ = await _step(stack, requests, pids, concurrency, step_s=step_s, warmup_s=warmup_s)
        result.steps.append(row)
        if _over(row) and time_left(soak_s):
            row, _ = await _step(
                stack, requests, pids, concurrency, step_s=step_s, warmup_s=warmup_s
            )
            result.steps.append({**row, "c": f"{concurrency} (again)"})
        if _over(row):
            break
        result.knee = row
    soak_c = result.knee["c"] if result.knee is not None else levels[0]
    first: dict[str, Sample] = {}
    while time_left():
        row, after = await _step(stack, requests, pids, soak_c, step_s=step_s, warmup_s=warmup_s)
        result.soak.append(row)
        first = first or after
    result.seconds = round(time.monotonic() - started, 1)
    result.load_average = (round(load_before, 2), round(os.getloadavg()[0], 2))
    _wait_drained(stack, drain_s)
    result.memory = _memory(first, _samples(pids))
    return result


def _wait_drained(stack: Stack, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while any(stack.backlog().values()) and time.monotonic() < deadline:
        time.sleep(0.2)


def _memory(first: dict[str, Sample], last: dict[str, Sample]) -> list[dict[str, Any]]:
    rows = []
    for name, start in first.items():
        end = last.get(name)
        if end is None:
            continue
        growth = end.rss_bytes - start.rss_bytes
        judged = name != "redis"
        bound = max(FLAT_SLACK_BYTES, int(start.rss_bytes * FLAT_SLACK_RATIO))
        rows.append(
            {
                "process": name,
                "rss_soak_start_mb": round(start.rss_bytes / MiB, 1),
                "rss_end_mb": round(end.rss_bytes / MiB, 1),
                "growth_mb": round(growth / MiB, 1),
                "bound_mb": round(bound / MiB, 1) if judged else None,
                "judged": judged,
                "flat": growth <= bound if judged else None,
            }
        )
    return rows
