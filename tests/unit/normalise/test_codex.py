"""Codex PreToolUse payloads: Bash text commands, argv lists, apply_patch, MCP and agents."""

from __future__ import annotations

from typing import Any

import pytest

from vectimus.core.events import Action
from vectimus.core.normalise import normalise

from ._samples import action_maker, load, sample_names

SOURCE = "codex"
act = action_maker(permission_mode="default", hook_event_name="PreToolUse")

EXPECTED: dict[str, Action] = {
    "bash-rm-rf-root.json": act("shell_command", "Bash", command="rm -rf /"),
    "bash-cargo-test.json": act("shell_command", "Bash", command="cargo test --workspace"),
    "shell-argv-chained-rm.json": act(
        "shell_command",
        "shell",
        command="git status && rm -rf ~",
        extra={"workdir": "/home/sam/repo"},
    ),
    "local-shell-argv-plain.json": act("shell_command", "local_shell", command="ls -la 'my dir'"),
    "apply-patch.json": act(
        "file_write",
        "apply_patch",
        file_path="src/lib.rs",
        file_content="    let retries = 3;\nghp_exampletoken",
        extra={"patch_files": "src/lib.rs\nsrc/token.txt"},
    ),
    "read-file.json": act("file_read", "read_file", file_path="/home/sam/repo/Cargo.toml"),
    "web-search.json": act(
        "web_request", "web_search", url="", extra={"query": "tokio select cancellation safety"}
    ),
    "mcp-tool.json": act(
        "mcp_tool", "mcp__linear__create_issue", mcp_server="linear", mcp_tool="create_issue"
    ),
    "spawn-agent.json": act(
        "agent_spawn",
        "spawn_agent",
        extra={"subagent_type": "worker", "prompt": "Write unit tests for src/parser.rs"},
    ),
}


def test_every_sample_has_an_expectation() -> None:
    assert set(EXPECTED) == set(sample_names(SOURCE))


@pytest.mark.parametrize("name", sample_names(SOURCE))
def test_sample(name: str) -> None:
    assert normalise(SOURCE, load(SOURCE, name)).action == EXPECTED[name]


def test_source_and_context() -> None:
    event = normalise(SOURCE, load(SOURCE, "bash-cargo-test.json"))
    assert (event.source.tool, event.source.session_id) == (
        "codex",
        "019a4c1e-7b2d-7f10-9e6a-3c5d7e9f1a2b",
    )
    assert event.context.cwd == "/home/sam/repo"


def shell(tool: str, command: Any) -> str | None:
    return normalise(SOURCE, {"tool_name": tool, "tool_input": {"command": command}}).action.command


class TestArgv:
    @pytest.mark.parametrize(
        ("argv", "command"),
        [
            (["bash", "-lc", "rm -rf /"], "rm -rf /"),
            (["/bin/sh", "-c", "echo hi"], "echo hi"),
            (["zsh", "-l", "-c", "make"], "make"),
            (["pwsh", "-Command", "Remove-Item -Recurse C:\\"], "Remove-Item -Recurse C:\\"),
            (["bash", "script.sh", "arg"], "bash script.sh arg"),
            (["bash", "--login", "x"], "bash --login x"),
            (["bash", "--norc", "-ec", "make"], "make"),
            (["bash", "-c", "x", "y"], "bash -c x y"),
            (["rm", "-rf", "/tmp/a b"], "rm -rf '/tmp/a b'"),
            (["echo", 3, None, "x"], "echo 3 x"),
        ],
    )
    def test_unwrap_or_quote(self, argv: list[Any], command: str) -> None:
        assert shell("shell", argv) == command

    @pytest.mark.parametrize("tool", ["shell_command", "exec_command", "container.exec", "Bash"])
    def test_other_shell_names(self, tool: str) -> None:
        assert shell(tool, "ls") == "ls"

    def test_cmd_key(self) -> None:
        payload = {"tool_name": "exec_command", "tool_input": {"cmd": "whoami"}}
        assert normalise(SOURCE, payload).action.command == "whoami"

    def test_empty_argv_falls_back_to_nothing(self) -> None:
        assert shell("shell", []) == ""


class TestApplyPatchThroughShell:
    BODY = "*** Begin Patch\n*** Add File: a.txt\n+hello\n*** End Patch\n"

    def test_argv(self) -> None:
        action = normalise(
            SOURCE, {"tool_name": "shell", "tool_input": {"command": ["apply_patch", self.BODY]}}
        ).action
        assert (action.action_type, action.file_path, action.file_content) == (
            "file_write",
            "a.txt",
            "hello",
        )

    def test_heredoc(self) -> None:
        command = f"apply_patch <<'EOF'\n{self.BODY}EOF"
        action = normalise(SOURCE, {"tool_name": "Bash", "tool_input": {"command": command}}).action
        assert (action.action_type, action.file_path) == ("file_write", "a.txt")


def test_send_input_is_an_agent_message() -> None:
    payload = {"tool_name": "send_input", "tool_input": {"id": "agent-2", "message": "status?"}}
    action = normalise(SOURCE, payload).action
    assert (action.action_type, action.extra) == (
        "agent_message",
        {"recipient": "agent-2", "message": "status?"},
    )
