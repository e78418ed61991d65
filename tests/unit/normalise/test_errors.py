"""The two refusals: an unknown source, and a payload that is not a tool call."""

from __future__ import annotations

import pytest

from vectimus.core.errors import PayloadError, UnknownSourceError
from vectimus.core.events import SOURCES
from vectimus.core.normalise import NORMALISERS, get_normaliser, normalise


def test_table_covers_every_source() -> None:
    assert tuple(NORMALISERS) == SOURCES


@pytest.mark.parametrize("source", ["claude", "Cursor", "", "windsurf"])
def test_unknown_source_lists_the_valid_ones(source: str) -> None:
    with pytest.raises(UnknownSourceError) as caught:
        normalise(source, {"tool_name": "Bash"})
    assert repr(source) in caught.value.message
    for name in SOURCES:
        assert name in caught.value.hint
    assert caught.value.code == "unknown-source"


def test_unknown_source_of_wrong_type() -> None:
    with pytest.raises(UnknownSourceError):
        get_normaliser(["cursor"])  # type: ignore[arg-type]


@pytest.mark.parametrize("source", SOURCES)
@pytest.mark.parametrize(
    ("payload", "kind"),
    [([], "list"), ("{}", "str"), (3, "int"), (2.5, "float"), (None, "null"), (True, "bool")],
)
def test_non_object_payload(source: str, payload: object, kind: str) -> None:
    with pytest.raises(PayloadError) as caught:
        normalise(source, payload)
    assert caught.value.message == f"{source} payload is not a JSON object (got {kind})"
    assert caught.value.code == "bad-payload"


MISSING = {
    "claude-code": "claude-code payload has no tool_name",
    "claude-agent-sdk": "claude-agent-sdk payload has no tool_name",
    "cursor": "cursor payload has no tool_name, command or file_path",
    "copilot": "copilot payload has no tool_name or toolName",
    "gemini-cli": "gemini-cli payload has no tool_name",
    "codex": "codex payload has no tool_name",
    "langgraph": "langgraph payload has no tool_name",
    "google-adk": "google-adk payload has no tool_name",
}


@pytest.mark.parametrize("source", SOURCES)
@pytest.mark.parametrize(
    "payload",
    [
        {},
        {"session_id": "s", "cwd": "/x", "hook_event_name": "UserPromptSubmit", "prompt": "hi"},
        {"tool_name": None, "tool_input": {"command": "ls"}},
        {"tool_name": "", "toolName": ""},
        {"tool_name": ["Bash"], "toolName": {"n": 1}},
        {"tool_name": False},
    ],
)
def test_payload_without_a_tool(source: str, payload: dict[str, object]) -> None:
    with pytest.raises(PayloadError) as caught:
        normalise(source, payload)
    assert caught.value.message == MISSING[source]


@pytest.mark.parametrize("source", SOURCES)
def test_numeric_tool_name_is_stringified(source: str) -> None:
    payload = {"tool_name": 7, "toolName": 7, "tool_input": {}, "toolArgs": "{}"}
    event = normalise(source, payload)
    assert event.action.raw_tool_name == "7"
    assert event.action.action_type == "shell_command"
