"""LangGraph / ADK tool calls to Actions: by name, by arguments, MCP, and the payload form."""

from __future__ import annotations

from typing import Any

import pytest

from vectimus.core.errors import PayloadError
from vectimus.core.events import Identity
from vectimus.core.normalise import normalise
from vectimus.core.normalise.frameworks import action_for, framework_event

from ._samples import load, sample_names

AGENT = Identity(principal="bot@example.com", identity_type="agent")


def fields(name: str, args: Any, **kw: Any) -> dict[str, Any]:
    action = action_for(name, args, cwd="/p", **kw)
    found = {
        k: getattr(action, k)
        for k in ("action_type", "command", "file_path", "file_content", "url")
        if getattr(action, k) is not None
    }
    if action.mcp_server is not None:
        found["mcp"] = (action.mcp_server, action.mcp_tool)
    found.update(action.extra)
    return found


CASES: list[tuple[str, Any, dict[str, Any]]] = [
    # The names the issue lists for ADK, and their LangChain cousins.
    ("bash", {"command": "ls"}, {"action_type": "shell_command", "command": "ls"}),
    ("shell", {"command": "ls"}, {"action_type": "shell_command", "command": "ls"}),
    ("Terminal", {"cmd": "ls"}, {"action_type": "shell_command", "command": "ls"}),
    ("execute_bash", {"command": "pytest"}, {"action_type": "shell_command", "command": "pytest"}),
    (
        "terminal",
        {"commands": ["git status", "rm -rf /"]},
        {"action_type": "shell_command", "command": "git status\nrm -rf /"},
    ),
    (
        "Python_REPL",
        {"query": "import os"},
        {"action_type": "shell_command", "command": "python3 -c 'import os'", "language": "python"},
    ),
    (
        "file_write",
        {"path": "a.txt", "content": "x"},
        {"action_type": "file_write", "file_path": "a.txt", "file_content": "x"},
    ),
    (
        "write_file",
        {"file_path": "a.txt", "text": "x"},
        {"action_type": "file_write", "file_path": "a.txt", "file_content": "x"},
    ),
    (
        "delete_file",
        {"file_path": "a.txt"},
        {"action_type": "file_write", "file_path": "a.txt", "operation": "delete"},
    ),
    (
        "move_file",
        {"source_path": "a", "destination_path": "b"},
        {
            "action_type": "file_write",
            "file_path": "b",
            "source_path": "a",
            "operation": "move_file",
        },
    ),
    (
        "file_read",
        {"path": "/etc/passwd"},
        {"action_type": "file_read", "file_path": "/etc/passwd"},
    ),
    ("list_directory", {"dir_path": "src"}, {"action_type": "file_read", "file_path": "src"}),
    (
        "google_search",
        {"query": "adk"},
        {"action_type": "web_request", "url": "", "query": "adk"},
    ),
    ("web_search", {"query": "x"}, {"action_type": "web_request", "url": "", "query": "x"}),
    (
        "load_web_page",
        {"url": "http://169.254.169.254/"},
        {"action_type": "web_request", "url": "http://169.254.169.254/"},
    ),
    (
        "fetch",
        {"prompt": "read https://example.com/a, please"},
        {"action_type": "web_request", "url": "https://example.com/a"},
    ),
    ("github__create_issue", {}, {"action_type": "mcp_tool", "mcp": ("github", "create_issue")}),
    ("mcp__fs__read", {}, {"action_type": "mcp_tool", "mcp": ("fs", "read")}),
    # Unknown names: by their arguments, else the core unknown-tool command.
    (
        "deploy",
        {"command": "kubectl delete ns prod"},
        {
            "action_type": "shell_command",
            "command": "kubectl delete ns prod",
            "mapped_by_arguments": True,
        },
    ),
    (
        "scrape",
        {"url": "https://x.test"},
        {"action_type": "web_request", "url": "https://x.test", "mapped_by_arguments": True},
    ),
    (
        "save_note",
        {"path": "n.md", "content": "hi"},
        {
            "action_type": "file_write",
            "file_path": "n.md",
            "file_content": "hi",
            "mapped_by_arguments": True,
        },
    ),
    (
        "get_weather",
        {"city": "Paris"},
        {"action_type": "shell_command", "command": "get_weather Paris", "unknown_tool": True},
    ),
    ("__init__", {}, {"action_type": "shell_command", "command": "__init__", "unknown_tool": True}),
]


@pytest.mark.parametrize(("name", "args", "expected"), CASES, ids=[c[0] for c in CASES])
def test_mapping(name: str, args: Any, expected: dict[str, Any]) -> None:
    assert fields(name, args) == expected


def test_known_mcp_server_wins_over_the_name() -> None:
    found = fields("bash", {"command": "ls"}, mcp_server="shell-server", mcp_tool="bash")
    # The MCP call's command argument is kept, to be judged like a shell command.
    assert found == {
        "action_type": "mcp_tool",
        "mcp": ("shell-server", "bash"),
        "mcp_command": "ls",
    }
    assert fields("x", {}, mcp_server="")["mcp"] == ("", "x")


def test_framework_event_fills_source_and_agent() -> None:
    event = framework_event(
        "google-adk",
        "bash",
        {"command": "ls"},
        identity=AGENT,
        cwd="/p",
        session_id="s1",
        version="2.13.0",
        agent_name="ops",
    )
    assert (event.source.tool, event.source.session_id, event.source.version) == (
        "google-adk",
        "s1",
        "2.13.0",
    )
    assert event.action.extra == {"agent_name": "ops"}
    assert event.context.cwd == "/p"
    assert event.identity == AGENT


@pytest.mark.parametrize("source", ["langgraph", "google-adk"])
def test_payload_and_direct_events_agree(source: str) -> None:
    """What a gateway decodes is what the in-process governor builds."""
    for sample in sample_names(source):
        payload = load(source, sample)
        decoded = normalise(source, payload, identity=AGENT)
        direct = framework_event(
            source,
            payload["tool_name"],
            payload.get("tool_input"),
            identity=AGENT,
            cwd=payload.get("cwd", ""),
            session_id=payload.get("session_id", ""),
            version=payload.get("version", ""),
            agent_name=payload.get("agent_name", ""),
            mcp_server=payload.get("mcp_server"),
            mcp_tool=payload.get("mcp_tool"),
        )
        assert decoded == direct, sample


def test_payload_without_identity_reads_the_user() -> None:
    event = normalise("langgraph", {"tool_name": "ls", "user": "kim"})
    assert (event.identity.principal, event.identity.identity_type) == ("kim", "agent")


def test_payload_needs_a_tool_name() -> None:
    with pytest.raises(PayloadError, match="google-adk payload has no tool_name"):
        normalise("google-adk", {"tool_input": {"command": "ls"}})
