"""`make chaos`: every fault under load, then the load knee; tables printed, JSON written.

    python -m tests.chaos [--faults evaluator-sigkill,redis-stall] [--no-knee] [--work-dir DIR]

Writes bench/results/chaos.json. Exits 1 when a fault run broke a promise (a lost decision,
an unevaluated allow, a chain that does not verify, an SSE gap...) or memory grew over the
load run, 2 when the stack could not run (no redis-server).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.harness import RESULTS, meta, table

from tests.chaos.faults import FAULTS, FaultResult, Plan, run_fault
from tests.chaos.knee import P99_LIMIT_MS, KneeResult, find_knee
from tests.chaos.stack import NoRedisError, Stack, StackConfig

COUNT_COLUMNS = (
    "fault", "sent", "answered", "denied", "allowed", "degraded", "failed_closed", "no_answer",
    "audit_records", "receipts", "duplicates", "lost", "unanswered_decisions",
    "calls_decided_twice", "chain_ok",
)  # fmt: skip
SSE_COLUMNS = ("fault", "sse_events", "sse_gaps", "sse_repeats", "sse_resumes")
TIME_COLUMNS = ("fault", "p99_ms", "max_ms", "recovered_s", "drained_s")
KNEE_CONFIG = StackConfig(gateway_workers=2, evaluators=1, nice_trail=True)


def _columns(rows: list[dict[str, Any]], names: tuple[str, ...]) -> list[dict[str, Any]]:
    return [{name: row.get(name, "") for name in names} for row in rows]


async def _faults(root: Path, names: list[str], plan: Plan) -> list[FaultResult]:
    results = []
    for name in names:
        print(f"-- {name}", flush=True)
        result = await run_fault(root, name, plan)
        print(f"   {result.what}; {len(result.tally.violations)} violation(s)", flush=True)
        results.append(result)
    return results


async def _knee(root: Path) -> KneeResult:
    print("-- load knee", flush=True)
    stack = Stack(root / "knee", KNEE_CONFIG)
    await asyncio.to_thread(stack.start)
    try:
        return await find_knee(stack)
    finally:
        await asyncio.to_thread(stack.stop)


def _print(results: list[FaultResult], knee: KneeResult | None) -> None:
    rows = [r.row for r in results]
    if rows:
        print(table("chaos: counts per fault (lost must be 0)", _columns(rows, COUNT_COLUMNS)))
        print(table("chaos: SSE resumed with Last-Event-ID", _columns(rows, SSE_COLUMNS)))
        print(table("chaos: latency and recovery", _columns(rows, TIME_COLUMNS)))
    for result in results:
        for violation in result.tally.violations[:10]:
            print(f"VIOLATION {result.fault}: {violation}")
    if knee is not None:
        print(table(f"load knee: p99 limit {P99_LIMIT_MS} ms ({knee.seconds} s)", knee.steps))
        print(f"knee: {knee.knee}")
        if knee.soak:
            print(table("soak at the knee", knee.soak))
        print(f"machine load average (1 min) before and after the ramp: {knee.load_average}")
        print(table("memory over the load run (RSS)", knee.memory))


def _write(results: list[FaultResult], knee: KneeResult | None, plan: Plan) -> Path:
    document = {
        "meta": meta(),
        "plan": {
            "rate": plan.rate,
            "concurrency": plan.concurrency,
            "before_s": plan.before_s,
            "hold_s": plan.hold_s,
            "after_s": plan.after_s,
            "stack": vars(plan.config),
        },
        "faults": [
            {**r.row, "what": r.what, "violations": r.tally.violations[:100]} for r in results
        ],
        "knee": None
        if knee is None
        else {
            "stack": vars(KNEE_CONFIG),
            "p99_limit_ms": P99_LIMIT_MS,
            "knee": knee.knee,
            "steps": knee.steps,
            "soak": knee.soak,
            "memory": knee.memory,
            "memory_flat": knee.memory_flat,
            "seconds": knee.seconds,
            "load_average": knee.load_average,
        },
    }
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / "chaos.json"
    path.write_text(json.dumps(document, indent=2))
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.chaos")
    parser.add_argument("--faults", default=",".join(FAULTS), help="comma-separated fault names")
    parser.add_argument("--no-knee", action="store_true", help="skip the load knee")
    parser.add_argument(
        "--work-dir", type=Path, help="keep every process's log and files here (default: removed)"
    )
    args = parser.parse_args(argv)
    names = [n for n in args.faults.split(",") if n]
    unknown = sorted(set(names) - set(FAULTS))
    if unknown:
        parser.error(f"unknown faults {unknown}; known: {', '.join(FAULTS)}")
    plan = Plan()
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="vectimus-chaos-") as tmp:
        root = args.work_dir or Path(tmp)
        try:
            results = asyncio.run(_faults(root, names, plan))
            knee = None if args.no_knee else asyncio.run(_knee(root))
        except NoRedisError as exc:
            print(f"chaos: {exc}", file=sys.stderr)
            return 2
    _print(results, knee)
    path = _write(results, knee, plan)
    print(f"\nwrote {path} in {time.monotonic() - started:.0f} s")
    broken = [r.fault for r in results if not r.tally.ok]
    if knee is not None and not knee.memory_flat:
        broken.append("memory")
    if broken:
        print(f"chaos: FAILED: {', '.join(broken)}", file=sys.stderr)
        return 1
    print("chaos: every promise held")
    return 0


if __name__ == "__main__":
    sys.exit(main())
