"""Copilot payloads: the VS Code form, the CLI form with toolArgs as JSON text, and variants."""

from __future__ import annotations

import json
from typing import Any

import pytest

from vectimus.core.events import Action
from vectimus.core.normalise import normalise

from ._samples import action_maker, load, sample_names

SOURCE = "copilot"
vs = action_maker(hook_event_name="PreToolUse")
cli = action_maker()

EXPECTED: dict[str, Action] = {
    "vscode-run-in-terminal-rm-rf-root.json": vs(
        "shell_command", "run_in_terminal", command="rm -rf /", extra={"run_in_background": False}
    ),
    "vscode-run-in-terminal-pytest.json": vs(
        "shell_command", "run_in_terminal", command="pytest -q", extra={"run_in_background": False}
    ),
    "vscode-create-file.json": vs(
        "file_write",
        "create_file",
        file_path="/home/lee/projects/api/app/config.py",
        file_content="SECRET_KEY = 'change-me'\n",
    ),
    "vscode-replace-string.json": vs(
        "file_write",
        "replace_string_in_file",
        file_path="/home/lee/projects/api/app/main.py",
        file_content="debug=False",
    ),
    "vscode-read-file.json": vs(
        "file_read", "read_file", file_path="/home/lee/projects/api/pyproject.toml"
    ),
    "vscode-fetch-webpage.json": vs(
        "web_request",
        "fetch_webpage",
        url="https://fastapi.tiangolo.com/tutorial/",
        extra={
            "urls": "https://fastapi.tiangolo.com/tutorial/\nhttps://fastapi.tiangolo.com/advanced/"
        },
    ),
    "vscode-mcp-tool.json": vs(
        "mcp_tool", "mcp_github_create_issue", mcp_server="github", mcp_tool="create_issue"
    ),
    "vscode-run-subagent.json": vs(
        "agent_spawn",
        "runSubagent",
        extra={"description": "Debug auth tests", "prompt": "Investigate why the auth tests fail."},
    ),
    "cli-bash-rm-rf-root.json": cli("shell_command", "bash", command="rm -rf /"),
    "cli-bash-git-status.json": cli("shell_command", "bash", command="git status"),
    "cli-edit.json": cli(
        "file_write",
        "edit",
        file_path="/home/lee/projects/api/app/auth.py",
        file_content="verify=True",
    ),
    "cli-create.json": cli(
        "file_write",
        "create",
        file_path="/home/lee/projects/api/scripts/seed.sh",
        file_content="#!/bin/sh\npsql -f seed.sql\n",
    ),
    "cli-view.json": cli("file_read", "view", file_path="/home/lee/projects/api/.env"),
    "cli-web-fetch.json": cli(
        "web_request", "web_fetch", url="https://pypi.org/pypi/requests/json"
    ),
    "cli-task-subagent.json": cli(
        "agent_spawn",
        "task",
        extra={
            "subagent_type": "explore",
            "description": "Map the codebase",
            "prompt": "List the modules and what they do.",
        },
    ),
    "cli-unparsable-args.json": cli(
        "shell_command",
        "bash",
        command="git status && rm -rf ~",
        extra={"unparsed_arguments": True},
    ),
}


def test_every_sample_has_an_expectation() -> None:
    assert set(EXPECTED) == set(sample_names(SOURCE))


@pytest.mark.parametrize("name", sample_names(SOURCE))
def test_sample(name: str) -> None:
    assert normalise(SOURCE, load(SOURCE, name)).action == EXPECTED[name]


@pytest.mark.parametrize(
    ("name", "session"),
    [("vscode-read-file.json", "vscode-session-4f2a9c"), ("cli-view.json", "cli-7e1d3a90")],
)
def test_source_and_context(name: str, session: str) -> None:
    event = normalise(SOURCE, load(SOURCE, name))
    assert (event.source.tool, event.source.session_id) == ("copilot", session)
    assert event.context.cwd == "/home/lee/projects/api"
    assert event.identity.principal == "unknown"


def vscode(tool: str, tool_input: Any) -> Action:
    return normalise(
        SOURCE, {"hookEventName": "PreToolUse", "tool_name": tool, "tool_input": tool_input}
    ).action


def copilot_cli(tool: str, args: Any) -> Action:
    return normalise(
        SOURCE, {"timestamp": 1, "cwd": "/p", "toolName": tool, "toolArgs": args}
    ).action


class TestVSCodeTools:
    @pytest.mark.parametrize("name", ["run_in_terminal", "runInTerminal", "runTerminalCommand"])
    def test_terminal_names(self, name: str) -> None:
        assert vscode(name, {"command": "make"}).command == "make"

    def test_insert_edit(self) -> None:
        action = vscode("insert_edit_into_file", {"filePath": "/p/a.py", "code": "x = 1"})
        assert (action.action_type, action.file_path, action.file_content) == (
            "file_write",
            "/p/a.py",
            "x = 1",
        )

    def test_multi_replace(self) -> None:
        replacements = [
            {"filePath": "/p/a", "oldString": "1", "newString": "2"},
            {"filePath": "/p/b", "oldString": "3", "newString": "4"},
        ]
        action = vscode("multi_replace_string_in_file", {"replacements": replacements})
        assert (action.file_path, action.file_content) == ("/p/a", "2\n4")
        assert action.extra["files"] == "/p/a\n/p/b"

    def test_edit_files_from_the_hook_docs(self) -> None:
        action = vscode("editFiles", {"files": ["src/main.ts"]})
        assert (action.action_type, action.file_path) == ("file_write", "src/main.ts")

    def test_apply_patch(self) -> None:
        body = (
            "*** Begin Patch\n*** Delete File: old.py\n"
            "*** Add File: new.py\n+print(1)\n*** End Patch"
        )
        action = vscode("apply_patch", {"input": body, "explanation": "swap"})
        assert (action.file_path, action.file_content) == ("old.py", "print(1)")
        assert action.extra == {
            "hook_event_name": "PreToolUse",
            "patch_files": "old.py\nnew.py",
            "patch_deleted_files": "old.py",
        }

    def test_contributed_names(self) -> None:
        assert vscode("copilot_readFile", {"filePath": "/p/x"}).file_path == "/p/x"

    def test_fetch_single_url(self) -> None:
        assert vscode("fetch_webpage", {"urls": ["https://a.example"]}).url == "https://a.example"

    def test_list_dir(self) -> None:
        assert vscode("list_dir", {"path": "/p/src"}).file_path == "/p/src"

    def test_mcp_double_underscore(self) -> None:
        action = vscode("mcp__playwright__browser_navigate", {"url": "https://x"})
        assert (action.mcp_server, action.mcp_tool) == ("playwright", "browser_navigate")


class TestCLI:
    def test_tool_args_as_object_are_accepted(self) -> None:
        assert copilot_cli("bash", {"command": "ls"}).command == "ls"

    def test_str_replace_editor_view_is_a_read(self) -> None:
        action = copilot_cli("str_replace_editor", json.dumps({"command": "view", "path": "/p/a"}))
        assert (action.action_type, action.file_path) == ("file_read", "/p/a")

    def test_str_replace_editor_create_is_a_write(self) -> None:
        args = json.dumps({"command": "create", "path": "/p/a", "file_text": "hi"})
        action = copilot_cli("str_replace_editor", args)
        assert (action.action_type, action.file_content, action.extra["operation"]) == (
            "file_write",
            "hi",
            "create",
        )

    def test_unparsable_args_of_other_tool_is_unknown_shell_command(self) -> None:
        action = copilot_cli("edit", "{not json")
        assert action.action_type == "shell_command"
        assert action.command == "edit '{not json'"
        assert action.extra == {"unparsed_arguments": True, "unknown_tool": True}

    def test_args_that_decode_to_a_list_are_kept_as_text(self) -> None:
        action = copilot_cli("bash", '["rm", "-rf", "/"]')
        assert (action.command, action.extra) == (
            '["rm", "-rf", "/"]',
            {"unparsed_arguments": True},
        )

    def test_empty_args(self) -> None:
        action = copilot_cli("view", "")
        assert (action.action_type, action.file_path) == ("file_read", None)

    def test_tool_name_form_wins_when_both_are_sent(self) -> None:
        payload = {"tool_name": "read_file", "tool_input": {"filePath": "/a"}, "toolName": "bash"}
        assert normalise(SOURCE, payload).action.raw_tool_name == "read_file"
