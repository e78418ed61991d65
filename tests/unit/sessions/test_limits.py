"""Session limits decided by the agent-governance rules, on every local path.

The pipeline sees the counts (this call included) and the limits as context.session facts;
a count that failed escalates the calls that needed it. The daemon, the inline hook and
`vectimus eval` each count before they evaluate.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import POLICIES
from tests.unit.pipeline.conftest import make_pipeline
from vectimus.cli.answer import answer_payload
from vectimus.core.engine.compile import CompiledPolicies, compile_policies, load_policy_dirs
from vectimus.core.events import Action, Event, Identity, Source
from vectimus.core.pipeline import Pipeline
from vectimus.core.sessions import SessionCounts
from vectimus.core.sessions.memory import MemorySessionCounter

VECTIMUS = str(Path(sys.executable).with_name("vectimus"))


def spawn_payload(session: str = "sess-1") -> dict[str, object]:
    return {
        "session_id": session,
        "cwd": "/tmp",
        "hook_event_name": "PreToolUse",
        "tool_name": "Task",
        "tool_input": {"description": "d", "prompt": "p", "subagent_type": "general-purpose"},
    }


def event(action_type: str, tool: str) -> Event:
    return Event(
        source=Source(tool="claude-code", session_id="s"),
        identity=Identity(principal="dev"),
        action=Action(action_type=action_type, raw_tool_name=tool, command="ls"),  # type: ignore[arg-type]
    )


@pytest.fixture(scope="module")
def bundled() -> CompiledPolicies:
    return compile_policies(load_policy_dirs([POLICIES]))


@pytest.fixture
def pipeline(bundled: CompiledPolicies) -> Pipeline:
    return make_pipeline(bundled)


class TestPipeline:
    def test_the_eleventh_spawn_is_denied(self, pipeline: Pipeline) -> None:
        tenth = pipeline.evaluate(event("agent_spawn", "Task"), session=SessionCounts(spawns=10))
        eleventh = pipeline.evaluate(event("agent_spawn", "Task"), session=SessionCounts(spawns=11))
        assert tenth.decision == "allow"
        assert eleventh.decision == "deny"
        assert eleventh.matched_policy_ids == ("vectimus-agent-003",)

    def test_the_fifty_first_message_is_denied(self, pipeline: Pipeline) -> None:
        found = pipeline.evaluate(
            event("agent_message", "SendMessage"), session=SessionCounts(messages=51)
        )
        assert found.decision == "deny"
        assert "vectimus-agent-004" in found.matched_policy_ids

    def test_a_spawn_whose_counts_failed_escalates(self, pipeline: Pipeline) -> None:
        found = pipeline.evaluate(
            event("agent_spawn", "Task"), session=SessionCounts(error="redis is down")
        )
        assert found.decision == "escalate"
        assert "session's counts are unavailable: redis is down" in found.reason

    def test_other_calls_do_not_need_the_counts(self, pipeline: Pipeline) -> None:
        found = pipeline.evaluate(
            event("shell_command", "Bash"), session=SessionCounts(error="redis is down")
        )
        assert found.decision == "allow"

    def test_the_limits_are_configurable(self, bundled: CompiledPolicies) -> None:
        strict = make_pipeline(bundled)
        strict.limits = type(strict.limits)(session_spawn_limit=2)
        found = strict.evaluate(event("agent_spawn", "Task"), session=SessionCounts(spawns=3))
        assert found.decision == "deny"


def test_the_daemon_counts_in_memory() -> None:
    """The daemon's answer path: one MemorySessionCounter for every call it answers."""
    sessions = MemorySessionCounter()
    raw = json.dumps(spawn_payload()).encode()
    kinds = []
    for _ in range(11):
        outcome, _, _ = answer_payload("claude-code", raw, cwd=Path("/tmp"), sessions=sessions)
        kinds.append(outcome.decision.decision)
    assert kinds == ["allow"] * 10 + ["deny"]
    # Another session is counted apart.
    other = json.dumps(spawn_payload("sess-2")).encode()
    outcome, _, _ = answer_payload("claude-code", other, cwd=Path("/tmp"), sessions=sessions)
    assert outcome.decision.decision == "allow"


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env.update(
        VECTIMUS_DAEMON="0",
        XDG_RUNTIME_DIR=str(tmp_path / "run"),
        VECTIMUS_SESSION_SPAWN_LIMIT="2",
        **extra,
    )
    (tmp_path / "run").mkdir(mode=0o700, exist_ok=True)
    return env


def test_the_inline_hook_counts_in_a_file_per_session(tmp_path: Path) -> None:
    answers = []
    for _ in range(3):
        done = subprocess.run(
            [VECTIMUS, "hook", "--source", "claude-code"],
            input=json.dumps(spawn_payload()),
            text=True,
            capture_output=True,
            env=_env(tmp_path),
            timeout=60,
            check=False,
        )
        answers.append(done.stdout)
    assert answers[:2] == ["", ""]  # allowed: nothing printed
    decision = json.loads(answers[2])["hookSpecificOutput"]
    assert decision["permissionDecision"] == "deny"
    assert "vectimus-agent-003" in decision["permissionDecisionReason"]
    assert len(list((tmp_path / "run" / "vectimus" / "sessions").glob("*.json"))) == 1


def test_eval_replays_count_sessions(tmp_path: Path) -> None:
    lines = "\n".join(json.dumps(spawn_payload()) for _ in range(3)) + "\n"
    done = subprocess.run(
        [VECTIMUS, "eval", "--source", "claude-code"],
        input=lines,
        text=True,
        capture_output=True,
        env=_env(tmp_path),
        timeout=60,
        check=False,
    )
    decisions = [json.loads(line)["decision"] for line in done.stdout.splitlines()]
    assert decisions == ["allow", "allow", "deny"], done.stderr
