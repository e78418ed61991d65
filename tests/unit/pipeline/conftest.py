from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import POLICIES
from vectimus.core.engine import Engine
from vectimus.core.engine.compile import CompiledPolicies, compile_policies, load_policy_dirs
from vectimus.core.events import Identity
from vectimus.core.pipeline import Limits, Pipeline

HOME = "/home/dev"


@pytest.fixture(scope="session")
def bundled() -> CompiledPolicies:
    return compile_policies(load_policy_dirs([POLICIES]))


def make_pipeline(
    compiled: CompiledPolicies,
    *,
    observe: bool = False,
    max_lines: int = 5000,
    mcp: frozenset[str] = frozenset(),
    read_file=None,
) -> Pipeline:
    counter = iter(range(1, 1_000_000))
    # check_requests: every request the pipeline builds must match the Cedar schema.
    engine = Engine(compiled, observe=observe, check_requests=True)
    limits = Limits(max_lines=max_lines, mcp_allowed=mcp, home=HOME)
    return Pipeline(engine, limits, new_id=lambda: f"r-{next(counter)}", read_file=read_file)


@pytest.fixture
def pipeline(bundled: CompiledPolicies) -> Pipeline:
    return make_pipeline(bundled)


AGENT = Identity(principal="dev")


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    return tmp_path
