"""Claude Code PreToolUse payloads → Event.

Protocol: Claude Code hooks reference (PreToolUse input: session_id, transcript_path, cwd,
permission_mode, hook_event_name, tool_name, tool_input, tool_use_id; agent_id and agent_type
when the call comes from a subagent). Tool argument names were checked against the Agent SDK's
generated tool input schemas (sdk-tools.d.ts: BashInput.command, FileWriteInput.content,
FileEditInput.new_string, NotebookEditInput.notebook_path/new_source, GlobInput and GrepInput
.pattern/.path, WebFetchInput.url, WebSearchInput.query, AgentInput.subagent_type/description/
prompt/mode/model/isolation/run_in_background). MCP tools are named ``mcp__<server>__<tool>``.
The subagent tool was renamed Task → Agent; both names are mapped. ``max_turns`` and the
SendMessage argument names (to, message) are read when present but were not in the schema.
"""

from __future__ import annotations

from typing import Final

from vectimus.core.errors import PayloadError
from vectimus.core.events import Action, Event, Identity

from ._event import build_event, dispatch
from ._fields import get_text, require_object, text
from ._tools import (
    Call,
    ToolTable,
    agent_message,
    agent_spawn,
    file_read,
    file_write,
    joined_edits,
    make,
    mcp,
    search,
    shell,
    split_mcp_name,
    web_fetch,
    web_search,
)

SOURCE: Final = "claude-code"


def _multi_edit(call: Call) -> Action:
    content = joined_edits(call, ("edits",), ("new_string",))
    return make(
        "file_write", call, file_path=get_text(call.args, "file_path"), file_content=content
    )


def _mcp_resource(call: Call) -> Action:
    return mcp(get_text(call.args, "server") or "", call.name, call)


TOOLS: Final = ToolTable(
    {
        "Bash": shell("command"),
        "Write": file_write(("file_path",), ("content",)),
        "Edit": file_write(("file_path",), ("new_string",)),
        "MultiEdit": _multi_edit,
        "NotebookEdit": file_write(("notebook_path", "file_path"), ("new_source",)),
        "Read": file_read(("file_path", "path")),
        "Grep": search(("path",), ("pattern",)),
        "Glob": search(("path",), ("pattern",), pattern_is_path=True),
        "LS": search(("path",), ()),
        "WebFetch": web_fetch(("url",)),
        "WebSearch": web_search(("query",)),
        "Task": agent_spawn,
        "Agent": agent_spawn,
        "SendMessage": agent_message,
        "ListMcpResourcesTool": _mcp_resource,
        "ReadMcpResourceTool": _mcp_resource,
    }
)


def action_for(call: Call) -> Action:
    """The Action for one Claude-Code-protocol tool call."""
    mcp_name = split_mcp_name(call.name)
    if mcp_name is not None:
        return mcp(*mcp_name, call)
    return dispatch(TOOLS, call)


def normalise_as(source: str, payload: object, *, identity: Identity | None = None) -> Event:
    """Normalise a Claude-Code-protocol payload, labelled with ``source``."""
    obj = require_object(source, payload)
    name = text(obj.get("tool_name"))
    if not name:
        raise PayloadError(f"{source} payload has no tool_name", hint="expected a PreToolUse input")
    cwd = get_text(obj, "cwd") or ""
    call = Call.of(name, obj.get("tool_input"), cwd=cwd, payload=obj)
    return build_event(source, obj, action_for(call), identity=identity, cwd=cwd)


def normalise(payload: object, *, identity: Identity | None = None) -> Event:
    return normalise_as(SOURCE, payload, identity=identity)
