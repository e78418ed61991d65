"""Gemini CLI BeforeTool payloads: built-in tools, legacy argument names, MCP naming."""

from __future__ import annotations

from typing import Any

import pytest

from vectimus.core.events import Action
from vectimus.core.normalise import normalise
from vectimus.core.normalise.gemini_cli import first_url

from ._samples import action_maker, load, sample_names

SOURCE = "gemini-cli"
act = action_maker(hook_event_name="BeforeTool")
RELEASE = "https://github.com/nodejs/node/releases/tag/v22.0.0"

EXPECTED: dict[str, Action] = {
    "run-shell-rm-rf-root.json": act("shell_command", "run_shell_command", command="rm -rf /"),
    "run-shell-ls.json": act(
        "shell_command", "run_shell_command", command="ls -la", extra={"dir_path": "src"}
    ),
    "write-file.json": act(
        "file_write",
        "write_file",
        file_path="/home/kim/svc/.npmrc",
        file_content="//registry.npmjs.org/:_authToken=npm_example\n",
    ),
    "replace.json": act(
        "file_write",
        "replace",
        file_path="/home/kim/svc/src/server.js",
        file_content="app.listen(8080)",
    ),
    "read-file.json": act("file_read", "read_file", file_path="/home/kim/svc/package.json"),
    "read-file-legacy-absolute-path.json": act("file_read", "read_file", file_path="/etc/passwd"),
    "glob.json": act(
        "file_read", "glob", file_path="/home/kim/svc/src", extra={"pattern": "src/**/*.test.js"}
    ),
    "web-fetch.json": act(
        "web_request",
        "web_fetch",
        url=RELEASE,
        extra={"prompt": f"Summarise the changes in {RELEASE}, please."},
    ),
    "google-web-search.json": act(
        "web_request",
        "google_web_search",
        url="",
        extra={"query": "express rate limiting middleware"},
    ),
    "mcp-tool-with-context.json": act(
        "mcp_tool",
        "mcp_github_create_issue",
        mcp_server="github",
        mcp_tool="create_issue",
        extra={
            "mcp_server_command": "npx",
            "mcp_server_args": "-y\n@modelcontextprotocol/server-github",
        },
    ),
    "mcp-tool-double-underscore.json": act(
        "mcp_tool", "postgres__execute_sql", mcp_server="postgres", mcp_tool="execute_sql"
    ),
    "codebase-investigator.json": act(
        "agent_spawn",
        "codebase_investigator",
        extra={
            "subagent_type": "codebase_investigator",
            "prompt": "Find where sessions are created",
        },
    ),
}


def test_every_sample_has_an_expectation() -> None:
    assert set(EXPECTED) == set(sample_names(SOURCE))


@pytest.mark.parametrize("name", sample_names(SOURCE))
def test_sample(name: str) -> None:
    assert normalise(SOURCE, load(SOURCE, name)).action == EXPECTED[name]


def test_source_and_context() -> None:
    event = normalise(SOURCE, load(SOURCE, "read-file.json"))
    assert (event.source.tool, event.source.session_id) == (
        "gemini-cli",
        "gem-0c9b8a7d-6e5f-4a3b-2c1d-0e9f8a7b6c5d",
    )
    assert event.context.cwd == "/home/kim/svc"


def tool(name: str, tool_input: Any, **more: Any) -> Action:
    payload = {"cwd": "/svc", "tool_name": name, "tool_input": tool_input}
    return normalise(SOURCE, {**payload, **more}).action


class TestAlternateFields:
    @pytest.mark.parametrize("name", ["grep_search", "search_file_content", "grep"])
    def test_grep_names(self, name: str) -> None:
        action = tool(name, {"pattern": "TODO", "dir_path": "src", "include_pattern": "*.ts"})
        assert (action.file_path, action.extra) == ("src", {"pattern": "TODO", "glob": "*.ts"})

    @pytest.mark.parametrize("key", ["dir_path", "path"])
    def test_list_directory(self, key: str) -> None:
        assert tool("list_directory", {key: "/svc/src"}).file_path == "/svc/src"

    def test_read_many_files(self) -> None:
        action = tool("read_many_files", {"include": ["a.md", "docs/"], "exclude": ["*.png"]})
        assert (action.action_type, action.file_path) == ("file_read", "a.md")
        assert action.extra == {"paths": "a.md\ndocs/", "exclude": "*.png"}

    @pytest.mark.parametrize("name", ["edit", "edit_file"])
    def test_edit_aliases(self, name: str) -> None:
        assert tool(name, {"file_path": "/a", "new_string": "n"}).file_content == "n"

    def test_web_fetch_without_url(self) -> None:
        action = tool("web_fetch", {"prompt": "no link here"})
        assert (action.url, action.extra["prompt"]) == ("", "no link here")

    def test_web_fetch_explicit_url_wins(self) -> None:
        assert (
            tool("web_fetch", {"url": "https://a.example", "prompt": "https://b"}).url
            == "https://a.example"
        )

    def test_mcp_double_underscore_prefix(self) -> None:
        action = tool("mcp__my_db__query", {})
        assert (action.mcp_server, action.mcp_tool) == ("my_db", "query")

    def test_mcp_single_underscore_prefix(self) -> None:
        action = tool("mcp_github_list_repos", {})
        assert (action.mcp_server, action.mcp_tool) == ("github", "list_repos")

    def test_mcp_context_with_url(self) -> None:
        context = {"server_name": "docs", "tool_name": "search", "url": "https://mcp.example/sse"}
        action = tool("docs__search", {"q": "x"}, mcp_context=context)
        assert (action.mcp_server, action.mcp_tool) == ("docs", "search")
        assert action.extra["mcp_server_url"] == "https://mcp.example/sse"

    def test_mcp_context_of_wrong_type_is_ignored(self) -> None:
        assert tool("read_file", {"file_path": "/a"}, mcp_context="junk").action_type == "file_read"


@pytest.mark.parametrize(
    ("prompt", "url"),
    [
        ("see https://example.com/x.", "https://example.com/x"),
        ("(http://a.example/b) and https://c", "http://a.example/b"),
        ("HTTPS://UPPER.example/path?q=1, ok", "HTTPS://UPPER.example/path?q=1"),
        ("ftp://nope", None),
    ],
)
def test_first_url(prompt: str, url: str | None) -> None:
    assert first_url(prompt) == url
