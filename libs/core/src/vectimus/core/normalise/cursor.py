"""Cursor hook payloads (``.cursor/hooks.json``, version 1) → Event.

Protocol: Cursor's agent hooks documentation. Every input carries conversation_id,
generation_id, hook_event_name and workspace_roots; model, cursor_version and user_email are
optional. Per event: beforeShellExecution {command, cwd}; beforeMCPExecution {tool_name,
tool_input (an object, or JSON text in some versions), url or command of the server};
beforeReadFile {file_path, content}; afterFileEdit {file_path, edits: [{old_string,
new_string}]}; preToolUse {tool_name, tool_input, tool_use_id, cwd}. Verified: the event names
and fields above, the preToolUse tool names Shell, Read, Write, Grep, Delete, Task, WebFetch,
StrReplace, Edit and the ``MCP:<tool>`` form for MCP tools (published hooks.json matchers and
captured preToolUse payloads). Not verified: the argument names of Cursor's file tools, so the
common aliases (path, file_path, target_file; contents, content, code_edit, new_string) are all
read, and the older internal tool names (run_terminal_cmd, read_file, edit_file, ...) are
mapped too.
"""

from __future__ import annotations

from typing import Final

from vectimus.core.errors import PayloadError
from vectimus.core.events import Action, Event, Identity

from ._event import build_event, dispatch
from ._fields import JsonObject, get_list, get_text, object_or_json, require_object, text, texts
from ._tools import (
    DIR_KEYS,
    PATTERN_KEYS,
    Call,
    Extra,
    ToolTable,
    agent_spawn,
    command_text,
    file_delete,
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

SOURCE: Final = "cursor"

_SHELL_EVENTS: Final = frozenset({"beforeShellExecution", "afterShellExecution"})
_MCP_EVENTS: Final = frozenset({"beforeMCPExecution", "afterMCPExecution"})
_READ_EVENTS: Final = frozenset({"beforeReadFile", "beforeTabFileRead"})
_EDIT_EVENTS: Final = frozenset({"afterFileEdit", "afterTabFileEdit"})

_DIRS: Final = (*DIR_KEYS, "target_directory")
_search = search(_DIRS, (*PATTERN_KEYS, "search_term"))
_glob = search(_DIRS, ("glob_pattern", "pattern"), pattern_is_path=True)
_write = file_write()

TOOLS: Final = ToolTable(
    {
        "Shell": shell("command"),
        "run_terminal_cmd": shell("command"),
        "Read": file_read(),
        "read_file": file_read(),
        "Write": _write,
        "Edit": _write,
        "StrReplace": _write,
        "MultiEdit": _write,
        "TabWrite": _write,
        "edit_file": _write,
        "search_replace": _write,
        "EditNotebook": _write,
        "edit_notebook": _write,
        "Delete": file_delete(),
        "delete_file": file_delete(),
        "Grep": _search,
        "grep": _search,
        "grep_search": _search,
        "Glob": _glob,
        "glob_file_search": _glob,
        "LS": _search,
        "list_dir": _search,
        "file_search": _search,
        "codebase_search": _search,
        "SemanticSearch": _search,
        "WebFetch": web_fetch(),
        "web_fetch": web_fetch(),
        "WebSearch": web_search(("search_term", "query")),
        "web_search": web_search(("search_term", "query")),
        "Task": agent_spawn,
    }
)


def _cwd(obj: JsonObject) -> str:
    roots = texts(get_list(obj, "workspace_roots") or [])
    return get_text(obj, "cwd") or (roots[0] if roots else "")


def _server_extra(obj: JsonObject) -> tuple[str, Extra]:
    """The MCP server's identity: its name when sent, else its URL or launch command."""
    url = get_text(obj, "url", "server_url")
    command = command_text(obj.get("command"))
    extra: Extra = {}
    if url is not None:
        extra["mcp_server_url"] = url
    if command is not None:
        extra["mcp_server_command"] = command
    server = get_text(obj, "server_name", "server", "mcp_server") or url or command or ""
    return server, extra


def _tool_action(obj: JsonObject, call: Call, event: str) -> Action:
    if call.name.startswith("MCP:"):
        server, extra = _server_extra(obj)
        return mcp(server, call.name[len("MCP:") :], call, extra)
    mcp_name = split_mcp_name(call.name)
    if mcp_name is not None:
        return mcp(*mcp_name, call)
    # beforeMCPExecution names the server by url or command; without an event name, a tool
    # Cursor does not have and such a server field mean the same.
    server_sent = "url" in obj or "command" in obj
    if event in _MCP_EVENTS or (not event and server_sent and TOOLS.get(call.name) is None):
        server, extra = _server_extra(obj)
        return mcp(server, call.name, call, extra)
    return dispatch(TOOLS, call)


def _action(obj: JsonObject, event: str, cwd: str) -> Action:
    name = text(obj.get("tool_name"))
    if name:
        args = object_or_json(obj.get("tool_input"))
        call = Call.of(
            name, args if args is not None else obj.get("tool_input"), cwd=cwd, payload=obj
        )
        return _tool_action(obj, call, event)
    # The older per-action events carry no tool name: the event name stands in for it.
    label = event or "cursor"
    call = Call.of(label, obj, cwd=cwd, payload=obj)
    command = command_text(obj.get("command"))
    if event in _SHELL_EVENTS or (command and event not in _READ_EVENTS | _EDIT_EVENTS):
        return make("shell_command", call, command=command or "")
    path = get_text(obj, "file_path", "filePath")
    if path is not None or event in _READ_EVENTS | _EDIT_EVENTS:
        if event in _EDIT_EVENTS or "edits" in obj:
            content = joined_edits(call, ("edits",), ("new_string",))
            return make("file_write", call, file_path=path, file_content=content)
        return make("file_read", call, file_path=path, file_content=get_text(obj, "content"))
    raise PayloadError(
        "cursor payload has no tool_name, command or file_path",
        hint="expected a Cursor hook input such as preToolUse or beforeShellExecution",
    )


def normalise(payload: object, *, identity: Identity | None = None) -> Event:
    obj = require_object(SOURCE, payload)
    event = get_text(obj, "hook_event_name") or ""
    cwd = _cwd(obj)
    return build_event(SOURCE, obj, _action(obj, event, cwd), identity=identity, cwd=cwd)
