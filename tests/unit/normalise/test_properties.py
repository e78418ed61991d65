"""Any JSON at all into every normaliser: an Event comes back or PayloadError is raised."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from vectimus.core.errors import PayloadError
from vectimus.core.events import ACTION_TYPES, SOURCES, Event
from vectimus.core.normalise import normalise

from ._samples import load, sample_names

json_scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=40)
)
json_values = st.recursive(
    json_scalars,
    lambda children: (
        st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=10), children, max_size=5)
    ),
    max_leaves=40,
)

# Keys the normalisers read, so that generated payloads reach past the first check.
KEYS = [
    "tool_name",
    "tool_input",
    "toolName",
    "toolArgs",
    "hook_event_name",
    "hookEventName",
    "command",
    "file_path",
    "edits",
    "content",
    "url",
    "workspace_roots",
    "cwd",
    "session_id",
    "sessionId",
    "conversation_id",
    "permission_mode",
    "mcp_context",
    "user_email",
    "agent_id",
]
TOOL_NAMES = [
    "Bash", "Write", "Edit", "MultiEdit", "NotebookEdit", "Read", "Grep", "Glob", "LS",
    "WebFetch", "WebSearch", "Task", "Agent", "SendMessage", "ReadMcpResourceTool",
    "mcp__a__b", "mcp__", "mcp_x_y", "a__b", "MCP:x", "Shell", "Delete", "StrReplace",
    "run_in_terminal", "multi_replace_string_in_file", "editFiles", "apply_patch",
    "create_directory", "fetch_webpage", "runSubagent", "bash", "str_replace_editor", "task",
    "run_shell_command", "read_many_files", "web_fetch", "codebase_investigator",
    "shell", "local_shell", "spawn_agent", "send_input", "unknown-tool",
]  # fmt: skip

TOOL_INPUT_KEYS = [
    "command", "cmd", "file_path", "filePath", "path", "content", "new_string", "edits",
    "replacements", "urls", "url", "prompt", "query", "pattern", "include", "files",
    "max_turns", "mode", "subagent_type", "input", "dir_path", "server",
]  # fmt: skip
tool_inputs = st.dictionaries(st.sampled_from(TOOL_INPUT_KEYS), json_values, max_size=6)
payloads = st.fixed_dictionaries(
    {},
    optional={
        **dict.fromkeys(KEYS, json_values),
        "tool_name": st.sampled_from(TOOL_NAMES) | json_values,
        "toolName": st.sampled_from(TOOL_NAMES) | json_values,
        "tool_input": tool_inputs | json_values,
        "toolArgs": tool_inputs.map(json.dumps) | st.text() | json_values,
        "hook_event_name": st.sampled_from(
            [
                "preToolUse",
                "beforeShellExecution",
                "beforeMCPExecution",
                "beforeReadFile",
                "afterFileEdit",
            ]
        )
        | json_values,
    },
)


def check(source: str, payload: object) -> None:
    try:
        event = normalise(source, payload)
    except PayloadError:
        return
    assert isinstance(event, Event)
    assert event.source.tool == source
    assert event.action.action_type in ACTION_TYPES
    assert isinstance(event.action.raw_tool_name, str)
    for key, value in event.action.extra.items():
        assert isinstance(key, str)
        assert isinstance(value, str | int | bool)
    for field in ("command", "file_path", "url", "mcp_server", "mcp_tool", "file_content"):
        assert isinstance(getattr(event.action, field), str | None)


@pytest.mark.parametrize("source", SOURCES)
@given(payload=json_values)
def test_any_json_value(source: str, payload: Any) -> None:
    check(source, payload)


@pytest.mark.parametrize("source", SOURCES)
@settings(suppress_health_check=[HealthCheck.too_slow])
@given(payload=payloads)
def test_payload_shaped_json(source: str, payload: dict[str, Any]) -> None:
    check(source, payload)


@pytest.mark.parametrize("source", SOURCES)
@given(data=st.data())
def test_sample_with_fields_replaced(source: str, data: st.DataObject) -> None:
    """A real payload with some of its fields swapped for arbitrary JSON."""
    payload = load(source, data.draw(st.sampled_from(sample_names(source))))
    keys = data.draw(st.lists(st.sampled_from(sorted(payload)), max_size=3))
    for key in keys:
        payload[key] = data.draw(json_values)
    check(source, payload)


def nested(depth: int) -> object:
    value: object = "rm -rf /"
    for _ in range(depth):
        value = [value]
    return value


def nested_objects(depth: int) -> object:
    value: object = {"command": "rm -rf /"}
    for _ in range(depth):
        value = {"a": value}
    return value


DEEP = 10_000
HUGE = "A" * 5_000_000

EXTREME = {
    "unknown-tool-deep-list": {"tool_name": "Frobnicate", "tool_input": nested(DEEP)},
    "unknown-tool-deep-object": {
        "tool_name": "Frobnicate",
        "tool_input": {"x": nested_objects(DEEP)},
    },
    "shell-input-deep-list": {"tool_name": "Bash", "tool_input": nested(DEEP)},
    "shell-command-deep-list": {"tool_name": "Bash", "tool_input": {"command": nested(DEEP)}},
    "edits-deep-list": {"tool_name": "MultiEdit", "tool_input": {"edits": nested(DEEP)}},
    "tool-args-deep-json-list": {"toolName": "bash", "toolArgs": "[" * DEEP + "]" * DEEP},
    "tool-args-deep-json-object": {
        "toolName": "edit",
        "toolArgs": '{"a":' * DEEP + "1" + "}" * DEEP,
    },
    "tool-args-deep-object": {"toolName": "unknown", "toolArgs": nested_objects(DEEP)},
    "cursor-edits-deep": {
        "hook_event_name": "afterFileEdit",
        "file_path": "/a",
        "edits": nested(DEEP),
    },
    "cursor-mcp-unclosed-json": {
        "hook_event_name": "beforeMCPExecution",
        "tool_name": "q",
        "tool_input": "[" * DEEP,
    },
    "context-deep": {
        "tool_name": "x",
        "mcp_context": nested_objects(DEEP),
        "workspace_roots": nested(DEEP),
    },
    "huge-command": {"tool_name": "Bash", "tool_input": {"command": HUGE}, "cwd": HUGE},
    "huge-everything": {
        "tool_name": HUGE,
        "tool_input": {"a": HUGE},
        "toolName": HUGE,
        "toolArgs": HUGE,
    },
    "huge-url-prompt": {"tool_name": "web_fetch", "tool_input": {"prompt": "see http://" + HUGE}},
    "long-patch": {"tool_name": "apply_patch", "tool_input": {"command": "+x\n" * 200_000}},
    "int-too-long-to-print": {"tool_name": "Bash", "tool_input": {"command": 10**5000}},
    "int-too-long-max-turns": {"tool_name": "Task", "tool_input": {"max_turns": 10**5000}},
}


@pytest.mark.parametrize("source", SOURCES)
@pytest.mark.parametrize("case", sorted(EXTREME))
def test_extreme_inputs(source: str, case: str) -> None:
    started = time.perf_counter()
    check(source, EXTREME[case])
    assert time.perf_counter() - started < 5


@pytest.mark.parametrize("source", SOURCES)
def test_unknown_tool_with_many_arguments_is_cut_and_marked(source: str) -> None:
    payload = {"tool_name": "Frob", "toolName": "Frob", "tool_input": ["x"] * 200_001}
    payload["toolArgs"] = payload["tool_input"]
    event = normalise(source, payload)
    assert event.action.extra.get("arguments_truncated") is True
