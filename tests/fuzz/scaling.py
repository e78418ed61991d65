"""Linear time, checked structurally: the cost of an input and of larger ones.

Wall-clock limits are flaky on a loaded two-core machine; growth rates are not. Each
measurement is the best of a few runs; a run that is fast in absolute terms passes whatever
its ratio (a microsecond's noise is not a growth rate), and a suspicious ratio is measured
again one doubling further before it fails, so one slow moment cannot fail a linear parser.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")

FAST_ENOUGH_S = 0.004
# Linear growth multiplies the time by the size factor and quadratic by its square: these
# sit between the two.
MAX_RATIO_8X = 24.0
MAX_RATIO_2X = 3.0


def best_time(run: Callable[[T], object], value: T, *, repeats: int = 3) -> float:
    best = float("inf")
    for _ in range(repeats):
        started = time.perf_counter()
        run(value)
        best = min(best, time.perf_counter() - started)
    return best


def assert_linear(
    run: Callable[[T], object], make: Callable[[int], T], n: int, *, label: str = ""
) -> None:
    """``run(make(8n))`` costs at most a linear multiple of ``run(make(n))``."""
    large_input = make(n * 8)
    if best_time(run, large_input, repeats=1) < FAST_ENOUGH_S:
        return
    small = best_time(run, make(n))
    large = best_time(run, large_input)
    if large < FAST_ENOUGH_S or large / max(small, 1e-9) < MAX_RATIO_8X:
        return
    # Confirm on a doubling: x2 for linear, x4 for quadratic.
    larger = best_time(run, make(n * 16), repeats=2)
    ratio = larger / max(large, 1e-9)
    assert ratio < MAX_RATIO_2X, (
        f"{label}: {small * 1000:.1f} ms at n={n}, {large * 1000:.1f} ms at {8 * n}, "
        f"{larger * 1000:.1f} ms at {16 * n}: worse than linear"
    )
