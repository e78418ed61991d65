"""The fast fault cases of `make test`: a process SIGKILLed under a short steady load on the
distributed stack (real Redis, real granian, real service processes), then every promise
checked. The six faults at full length run in `make chaos` (``python -m tests.chaos``)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.chaos.faults import Plan, run_fault
from tests.chaos.stack import NoRedisError
from tests.redis_server import unavailable

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]
SHORT = Plan(rate=150, concurrency=6, before_s=1.5, hold_s=1.0, after_s=1.5, drain_timeout_s=30)


@pytest.mark.parametrize("fault", ["evaluator-sigkill", "signer-sigkill"])
async def test_nothing_lost_nothing_allowed_unevaluated(fault: str, tmp_path: Path) -> None:
    try:
        result = await run_fault(tmp_path, fault, SHORT)
    except NoRedisError as exc:
        unavailable(str(exc))
        raise
    counts = result.tally.counts
    print(result.what, result.row)
    assert result.tally.violations == []
    assert counts["sent"] >= 300, "the load never got going"
    assert counts["answered"] == counts["sent"], "no gateway worker died: every call is answered"
    assert counts["denied"] > 0 and counts["allowed"] > 0
    assert (counts["lost"], counts["duplicates"]) == (0, 0)
    assert counts["audit_records"] >= counts["answered"]
    assert counts["receipts"] == counts["audit_records"]
    assert counts["chain_ok"] is True
    assert counts["sse_resumes"] >= 1
    assert counts["sse_gaps"] == counts["sse_repeats"] == 0
