"""The policy part of /health: agreement across evaluators, and what degrades it."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.unit.bundles.conftest import write_pack
from vectimus.core.runtime import Runtime, server_environment, server_runtime
from vectimus.gateway.monitor import Liveness
from vectimus.gateway.policy_health import policy_report


@pytest.fixture
def runtime(tmp_path: Path) -> Runtime:
    directory = write_pack(tmp_path, {"r-1": "alpha"})
    return server_runtime(server_environment(os.environ, policy_dir=directory, observe=False))


def evaluators(**hashes: str) -> Liveness:
    instances = [f"evaluator:{name}" for name in hashes]
    details = {f"evaluator:{name}": {"policy_set_hash": value} for name, value in hashes.items()}
    return Liveness(bus_ok=True, instances={"evaluator": instances}, details=details)


def test_agreement_is_not_a_problem(runtime: Runtime) -> None:
    own = runtime.snapshot.compiled.policy_set_hash
    report, problems = policy_report(
        runtime, loaded_at=1.0, load_error="", bundle_error="", liveness=evaluators(a=own, b=own)
    )
    assert problems == []
    assert report["agree"] is True
    assert report["evaluators"] == {"evaluator:a": own, "evaluator:b": own}
    assert report["source"]["kind"] == "directory"
    assert report["loaded_at"] == "1970-01-01T00:00:01+00:00"


def test_a_mismatch_names_the_evaluator(runtime: Runtime) -> None:
    own = runtime.snapshot.compiled.policy_set_hash
    report, problems = policy_report(
        runtime, loaded_at=0, load_error="", bundle_error="", liveness=evaluators(a=own, b="f" * 64)
    )
    assert report["agree"] is False
    assert problems == [f"evaluator b runs policy set ffffffffffffffff, the gateway {own[:16]}"]


def test_a_failed_reload_or_refused_bundle_degrades_but_keeps_the_set(runtime: Runtime) -> None:
    own = runtime.snapshot.compiled.policy_set_hash
    liveness = evaluators(a=own)
    liveness.details["evaluator:a"]["reload_error"] = "PolicyLoadError: x.cedar:1: bad"
    report, problems = policy_report(
        runtime,
        loaded_at=0,
        load_error="PolicyLoadError: y.cedar:2: bad",
        bundle_error="bundle from https://b.example/b.json refused: bad signature",
        liveness=liveness,
    )
    assert report["policy_set_hash"] == own
    assert problems == [
        "the policies failed to reload; the previous set serves: PolicyLoadError: y.cedar:2: bad",
        "policy bundle: bundle from https://b.example/b.json refused: bad signature; "
        "the set in force stays",
        "evaluator a: reload error: PolicyLoadError: x.cedar:1: bad",
    ]


def test_no_set_loaded_reports_no_agreement_problem() -> None:
    report, problems = policy_report(
        None, loaded_at=0, load_error="never loaded", bundle_error="", liveness=evaluators(a="h")
    )
    assert problems == []  # not ready, which /ready and the status say; nothing to compare
    assert report["policy_set_hash"] == ""
    assert report["agree"] is False
