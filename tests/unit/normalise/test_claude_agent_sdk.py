"""Claude Agent SDK payloads: the Claude Code protocol, labelled as the SDK."""

from __future__ import annotations

import pytest

from vectimus.core.events import Action
from vectimus.core.normalise import normalise

from ._samples import action_maker, load, sample_names

SOURCE = "claude-agent-sdk"
act = action_maker(permission_mode="acceptEdits", hook_event_name="PreToolUse")

EXPECTED: dict[str, Action] = {
    "bash-rm-rf-root.json": act(
        "shell_command", "Bash", command="sudo rm -rf / --no-preserve-root"
    ),
    "bash-npm-test.json": act("shell_command", "Bash", command="npm test"),
    "write-deploy-script.json": act(
        "file_write",
        "Write",
        file_path="/srv/agents/ops-bot/workspace/deploy.sh",
        file_content="#!/bin/sh\nkubectl apply -f k8s/\n",
    ),
    "read-kube-config.json": act("file_read", "Read", file_path="/root/.kube/config"),
    "webfetch-status-page.json": act(
        "web_request", "WebFetch", url="https://status.example.com/api/v2/status.json"
    ),
    "mcp-slack-post.json": act(
        "mcp_tool", "mcp__slack__post_message", mcp_server="slack", mcp_tool="post_message"
    ),
    "agent-spawn-reviewer.json": act(
        "agent_spawn",
        "Agent",
        extra={
            "subagent_type": "code-reviewer",
            "description": "Review deploy diff",
            "prompt": "Review the k8s manifests for risky changes.",
            "model": "sonnet",
            "run_in_background": True,
        },
    ),
}


def test_every_sample_has_an_expectation() -> None:
    assert set(EXPECTED) == set(sample_names(SOURCE))


@pytest.mark.parametrize("name", sample_names(SOURCE))
def test_sample(name: str) -> None:
    assert normalise(SOURCE, load(SOURCE, name)).action == EXPECTED[name]


def test_source_is_labelled_as_the_sdk() -> None:
    event = normalise(SOURCE, load(SOURCE, "bash-npm-test.json"))
    assert event.source.tool == "claude-agent-sdk"
    assert event.source.session_id == "sdk-2b9d0c4e-8f71-4d2a-b6e3-5a7c9e1f0d22"
    assert event.context.cwd == "/srv/agents/ops-bot/workspace"


@pytest.mark.parametrize("name", sample_names(SOURCE))
def test_same_action_as_claude_code(name: str) -> None:
    payload = load(SOURCE, name)
    assert normalise(SOURCE, payload).action == normalise("claude-code", payload).action
