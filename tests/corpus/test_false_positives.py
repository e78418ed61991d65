"""Everyday developer actions from every source must all be allowed by the bundled packs."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import POLICIES
from vectimus.core.config import load_config
from vectimus.core.packtest import Runner, describe, engine_for, load_fixtures

CORPUS = Path(__file__).parent / "false_positives"
FILES = sorted(CORPUS.glob("*.jsonl"))
SERVERS = "github,linear,playwright,postgres,filesystem,sentry,context7,slack,notion,figma"


@pytest.fixture(scope="module")
def runner(tmp_path_factory: pytest.TempPathFactory) -> Runner:
    with pytest.MonkeyPatch.context() as patch:
        # The allowlist comes from configuration, as it does for the hook.
        patch.setenv("VECTIMUS_HOME", str(tmp_path_factory.mktemp("home")))
        patch.setenv("VECTIMUS_MCP_ALLOWED", SERVERS)
        allowed = load_config(None).settings.mcp.allowed_servers
    assert "github" in allowed
    return Runner(engine_for([POLICIES], check_requests=True), mcp_allowed=allowed)


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.stem)
def test_everyday_actions_are_allowed(runner: Runner, path: Path) -> None:
    report = runner.run_files([path])
    assert report.ok, "\n" + "\n".join(describe(result) for result in report.failures)


def test_corpus_is_large_and_covers_every_source() -> None:
    fixtures = [fixture for path in FILES for fixture in load_fixtures(path)[0]]
    assert len(fixtures) >= 300
    assert all(fixture.expect == "allow" for fixture in fixtures)
    assert {fixture.source for fixture in fixtures} >= {
        "claude-code",
        "claude-agent-sdk",
        "cursor",
        "copilot",
        "gemini-cli",
        "codex",
    }
