"""Shared benchmark plumbing: time things, print a table, write JSON under bench/results/.

Every benchmark measures its baseline in the same run and reports the ratio, because the
machines are noisy and only ratios survive that.
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).resolve().parent / "results"


def time_calls(fn: Callable[[], object], *, repeat: int, warmup: int = 50) -> list[float]:
    """Milliseconds per call of ``fn``, one sample per call."""
    for _ in range(warmup):
        fn()
    samples = []
    for _ in range(repeat):
        start = time.perf_counter_ns()
        fn()
        samples.append((time.perf_counter_ns() - start) / 1e6)
    return samples


def time_process(
    argv: Sequence[str],
    *,
    repeat: int,
    stdin: bytes = b"",
    env: dict[str, str] | None = None,
    settle_s: float = 0.0,
) -> list[float]:
    """Milliseconds per whole process run of ``argv`` (start to exit).

    ``settle_s`` pauses between runs (not timed), for commands that leave work behind.
    """
    samples = []
    for _ in range(repeat):
        start = time.perf_counter_ns()
        subprocess.run(argv, input=stdin, capture_output=True, check=False, env=env)
        samples.append((time.perf_counter_ns() - start) / 1e6)
        if settle_s:
            time.sleep(settle_s)
    return samples


def percentile(samples: Sequence[float], pct: float) -> float:
    ordered = sorted(samples)
    index = min(len(ordered) - 1, max(0, round(pct / 100 * (len(ordered) - 1))))
    return ordered[index]


def summary(samples: Sequence[float]) -> dict[str, float]:
    return {
        "n": len(samples),
        "p50_ms": round(statistics.median(samples), 4),
        "p99_ms": round(percentile(samples, 99), 4),
        "mean_ms": round(statistics.fmean(samples), 4),
    }


def table(name: str, rows: list[dict[str, Any]]) -> str:
    """``rows`` as a titled text table, one column per key."""
    columns = list(dict.fromkeys(key for row in rows for key in row))
    widths = {c: max(len(c), *(len(str(row.get(c, ""))) for row in rows)) for c in columns}
    lines = [f"\n== {name} ==", "  ".join(c.ljust(widths[c]) for c in columns)]
    lines += ["  ".join(str(row.get(c, "")).ljust(widths[c]) for c in columns) for row in rows]
    return "\n".join(lines)


def meta() -> dict[str, Any]:
    """Where and when a result was measured."""
    return {
        "python": sys.version.split()[0],
        "machine": platform.machine(),
        "cpus": os.cpu_count(),
        "at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }


def report(name: str, rows: list[dict[str, Any]]) -> None:
    """Print ``rows`` as a table and write them to bench/results/<name>.json."""
    print(table(name, rows))
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"{name}.json").write_text(json.dumps({"meta": meta(), "rows": rows}, indent=2))


def verdict(measured: float, target: float, *, lower_is_better: bool = True) -> str:
    ok = measured <= target if lower_is_better else measured >= target
    return "PASS" if ok else "MISS"
