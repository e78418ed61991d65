"""Cursor payloads: the per-action events, preToolUse, and their variants."""

from __future__ import annotations

from typing import Any

import pytest

from vectimus.core.errors import PayloadError
from vectimus.core.events import Action, Identity
from vectimus.core.normalise import normalise

from ._samples import action_maker, load, sample_names

SOURCE = "cursor"
pre = action_maker(hook_event_name="preToolUse")
SERVER = "npx -y @modelcontextprotocol/server-postgres postgres://localhost/app"

EXPECTED: dict[str, Action] = {
    "before-shell-rm-rf-root.json": action_maker(hook_event_name="beforeShellExecution")(
        "shell_command", "beforeShellExecution", command="rm -rf /"
    ),
    "before-shell-git-status.json": action_maker(hook_event_name="beforeShellExecution")(
        "shell_command", "beforeShellExecution", command="git status"
    ),
    "pretooluse-shell-chained-rm.json": pre(
        "shell_command", "Shell", command="git status && rm -rf ~"
    ),
    "pretooluse-write-env.json": pre(
        "file_write",
        "Write",
        file_path="/Users/ana/code/webapp/.env.local",
        file_content="DATABASE_URL=postgres://admin:hunter2@db.internal:5432/app\n",
    ),
    "pretooluse-read.json": pre(
        "file_read", "Read", file_path="/Users/ana/code/webapp/package.json"
    ),
    "before-read-file-env.json": action_maker(hook_event_name="beforeReadFile")(
        "file_read",
        "beforeReadFile",
        file_path="/Users/ana/code/webapp/.env",
        file_content="OPENAI_API_KEY=sk-proj-example\n",
    ),
    "after-file-edit.json": action_maker(hook_event_name="afterFileEdit")(
        "file_write",
        "afterFileEdit",
        file_path="/Users/ana/code/webapp/src/app.ts",
        file_content="const port = Number(process.env.PORT)\napp.listen(port, '0.0.0.0')",
    ),
    "before-mcp-execution.json": action_maker(hook_event_name="beforeMCPExecution")(
        "mcp_tool",
        "query",
        mcp_server=SERVER,
        mcp_tool="query",
        extra={"mcp_server_command": SERVER},
    ),
    "pretooluse-mcp.json": pre(
        "mcp_tool", "MCP:create_pull_request", mcp_server="", mcp_tool="create_pull_request"
    ),
    "pretooluse-webfetch.json": pre(
        "web_request", "WebFetch", url="https://registry.npmjs.org/left-pad"
    ),
    "pretooluse-task.json": pre(
        "agent_spawn",
        "Task",
        extra={
            "subagent_type": "explore",
            "description": "Find flaky tests",
            "prompt": "Run the test suite three times and list flaky tests.",
        },
    ),
}


def test_every_sample_has_an_expectation() -> None:
    assert set(EXPECTED) == set(sample_names(SOURCE))


@pytest.mark.parametrize("name", sample_names(SOURCE))
def test_sample(name: str) -> None:
    assert normalise(SOURCE, load(SOURCE, name)).action == EXPECTED[name]


def test_source_identity_and_context() -> None:
    event = normalise(SOURCE, load(SOURCE, "before-read-file-env.json"))
    assert event.source.tool == "cursor"
    assert event.source.version == "2.0.77"
    assert event.source.session_id == "c0ffee00-1234-4c5d-8e9f-0a1b2c3d4e5f"
    assert event.identity == Identity(principal="ana@example.com", identity_type="agent")
    assert event.context.cwd == "/Users/ana/code/webapp"  # workspace_roots[0]


def test_cwd_field_wins_over_workspace_roots() -> None:
    payload = {**load(SOURCE, "before-shell-git-status.json"), "cwd": "/Users/ana/code/webapp/api"}
    assert normalise(SOURCE, payload).context.cwd == "/Users/ana/code/webapp/api"


def tool(name: str, tool_input: Any, **more: Any) -> Action:
    payload = {"hook_event_name": "preToolUse", "workspace_roots": ["/w"]}
    return normalise(
        SOURCE, {**payload, "tool_name": name, "tool_input": tool_input, **more}
    ).action


class TestToolNames:
    @pytest.mark.parametrize("name", ["Shell", "run_terminal_cmd"])
    def test_shell(self, name: str) -> None:
        assert tool(name, {"command": "make"}).command == "make"

    @pytest.mark.parametrize("name", ["Read", "read_file"])
    @pytest.mark.parametrize("key", ["path", "file_path", "target_file"])
    def test_read(self, name: str, key: str) -> None:
        assert tool(name, {key: "/w/a.py"}).file_path == "/w/a.py"

    @pytest.mark.parametrize(
        ("name", "args", "content"),
        [
            ("Write", {"path": "/w/a", "contents": "x"}, "x"),
            ("StrReplace", {"path": "/w/a", "old_string": "o", "new_string": "n"}, "n"),
            ("Edit", {"file_path": "/w/a", "new_string": "n"}, "n"),
            ("edit_file", {"target_file": "/w/a", "code_edit": "c"}, "c"),
            ("search_replace", {"file_path": "/w/a", "new_string": "s"}, "s"),
        ],
    )
    def test_write(self, name: str, args: dict[str, str], content: str) -> None:
        action = tool(name, args)
        assert (action.action_type, action.file_path, action.file_content) == (
            "file_write",
            "/w/a",
            content,
        )

    def test_delete_is_a_write(self) -> None:
        action = tool("Delete", {"path": "/w/a"})
        assert (action.action_type, action.file_path) == ("file_write", "/w/a")
        assert action.extra["operation"] == "delete"

    def test_grep_defaults_to_workspace_root(self) -> None:
        action = tool("Grep", {"pattern": "secret"})
        assert (action.file_path, action.extra["pattern"]) == ("/w", "secret")

    def test_glob_reads_the_pattern_base(self) -> None:
        action = tool("glob_file_search", {"glob_pattern": "config/**/*.yml"})
        assert (action.file_path, action.extra["pattern"]) == ("/w/config", "config/**/*.yml")

    def test_web_search(self) -> None:
        action = tool("web_search", {"search_term": "cursor hooks"})
        assert (action.url, action.extra["query"]) == ("", "cursor hooks")

    def test_mcp_double_underscore_name(self) -> None:
        action = tool("mcp__linear__list_issues", {})
        assert (action.mcp_server, action.mcp_tool) == ("linear", "list_issues")


class TestEvents:
    def test_mcp_tool_input_as_object_and_server_url(self) -> None:
        action = normalise(
            SOURCE,
            {
                "hook_event_name": "beforeMCPExecution",
                "tool_name": "search",
                "tool_input": {"q": "x"},
                "url": "https://mcp.example.com/sse",
            },
        ).action
        assert (action.mcp_server, action.mcp_tool) == ("https://mcp.example.com/sse", "search")
        assert action.extra["mcp_server_url"] == "https://mcp.example.com/sse"

    def test_shell_event_without_hook_event_name(self) -> None:
        action = normalise(SOURCE, {"command": "ls", "cwd": "/w"}).action
        assert (action.action_type, action.command, action.raw_tool_name) == (
            "shell_command",
            "ls",
            "cursor",
        )

    def test_file_edit_without_hook_event_name(self) -> None:
        payload = {"file_path": "/w/a", "edits": [{"new_string": "n"}]}
        action = normalise(SOURCE, payload).action
        assert (action.action_type, action.file_content) == ("file_write", "n")

    def test_mcp_shape_without_hook_event_name(self) -> None:
        payload = {"tool_name": "query", "tool_input": "{}", "url": "http://localhost:3000"}
        action = normalise(SOURCE, payload).action
        assert (action.action_type, action.mcp_server, action.mcp_tool) == (
            "mcp_tool",
            "http://localhost:3000",
            "query",
        )

    def test_shell_event_without_command_has_empty_command(self) -> None:
        action = normalise(SOURCE, {"hook_event_name": "beforeShellExecution"}).action
        assert (action.action_type, action.command) == ("shell_command", "")

    def test_prompt_event_is_not_a_tool_call(self) -> None:
        with pytest.raises(PayloadError, match="no tool_name, command or file_path"):
            normalise(SOURCE, {"hook_event_name": "beforeSubmitPrompt", "prompt": "hi"})
