"""Gemini CLI BeforeTool payloads → Event.

Protocol: Gemini CLI hooks reference (docs/hooks/reference.md) and its BeforeToolInput type
(packages/core/src/hooks/types.ts): session_id, transcript_path, cwd, hook_event_name,
timestamp, tool_name, tool_input, and mcp_context {server_name, tool_name, command, args, cwd,
url, tcp} for MCP tools only. Tool and argument names verified against the core tool
declarations (tools/definitions/base-declarations.ts): run_shell_command {command, dir_path,
is_background}, read_file {file_path}, read_many_files {include, exclude}, list_directory
{dir_path}, glob {pattern, dir_path}, grep_search {pattern, dir_path, include_pattern} (legacy
name search_file_content), write_file {file_path, content}, replace {file_path, old_string,
new_string}, web_fetch {prompt}, google_web_search {query}. Older releases used absolute_path
and path; both are still read. MCP tool names have been ``server__tool``, ``mcp__server__tool``
(hooks reference) and ``mcp_server_tool``; mcp_context is preferred whenever it is present.
The subagent tools (codebase_investigator, cli_help, delegate_to_agent) are mapped to
agent_spawn from their names; their argument names were not verified.
"""

from __future__ import annotations

import re
from typing import Final

from vectimus.core.errors import PayloadError
from vectimus.core.events import Action, Event, Identity

from ._event import build_event, dispatch
from ._fields import JsonObject, get_list, get_object, get_text, require_object, text, texts
from ._tools import (
    Call,
    Extra,
    ToolTable,
    agent_spawn,
    file_read,
    file_write,
    make,
    mcp,
    search,
    shell,
    split_double_underscore,
    split_mcp_name,
    web_search,
)

SOURCE: Final = "gemini-cli"

_PATHS: Final = ("file_path", "absolute_path", "path")
_DIRS: Final = ("dir_path", "path", "directory")
_URL: Final = re.compile(r"https?://[^\s<>\"'`]+", re.IGNORECASE)
_run_shell = shell("command")


def _shell(call: Call) -> Action:
    action = _run_shell(call)
    directory = get_text(call.args, "dir_path", "directory")
    if directory is not None:
        action.extra["dir_path"] = directory
    return action


def _read_many(call: Call) -> Action:
    paths = texts(get_list(call.args, "include", "paths", "file_paths") or [])
    extra: Extra = {"paths": "\n".join(paths)} if paths else {}
    exclude = texts(get_list(call.args, "exclude") or [])
    if exclude:
        extra["exclude"] = "\n".join(exclude)
    return make("file_read", call, file_path=paths[0] if paths else call.cwd or None, extra=extra)


def first_url(prompt: str) -> str | None:
    """The first http(s) URL in free text, without trailing punctuation."""
    match = _URL.search(prompt)
    return match.group(0).rstrip(".,;:!?)]}") if match else None


def _web_fetch(call: Call) -> Action:
    prompt = get_text(call.args, "prompt")
    url = get_text(call.args, "url") or (first_url(prompt) if prompt else None)
    return make("web_request", call, url=url or "", extra={"prompt": prompt})


def _named_agent(call: Call) -> Action:
    action = agent_spawn(call)
    action.extra.setdefault("subagent_type", call.name)
    return action


_grep = search(_DIRS, ("pattern",), ("include_pattern", "include"))

TOOLS: Final = ToolTable(
    {
        "run_shell_command": _shell,
        "read_file": file_read(_PATHS),
        "read_many_files": _read_many,
        "list_directory": search(_DIRS, ()),
        "glob": search(_DIRS, ("pattern",), pattern_is_path=True),
        "grep_search": _grep,
        "search_file_content": _grep,
        "grep": _grep,
        "write_file": file_write(_PATHS, ("content",)),
        "replace": file_write(_PATHS, ("new_string",)),
        "edit": file_write(_PATHS, ("new_string",)),
        "edit_file": file_write(_PATHS, ("new_string",)),
        "web_fetch": _web_fetch,
        "google_web_search": web_search(("query",)),
        "web_search": web_search(("query",)),
        "delegate_to_agent": agent_spawn,
        "codebase_investigator": _named_agent,
        "cli_help": _named_agent,
    }
)


def _mcp_from_context(call: Call, context: JsonObject) -> Action:
    server = get_text(context, "server_name") or ""
    tool = get_text(context, "tool_name") or split_double_underscore(call.name)[1] or call.name
    extra: dict[str, str | int | bool | None] = {
        "mcp_server_url": get_text(context, "url", "tcp"),
        "mcp_server_command": get_text(context, "command"),
    }
    args = texts(get_list(context, "args") or [])
    if args:
        extra["mcp_server_args"] = "\n".join(args)
    return mcp(server, tool, call, extra)


def _action(call: Call) -> Action:
    context = get_object(call.payload, "mcp_context")
    if context is not None:
        return _mcp_from_context(call, context)
    if TOOLS.get(call.name) is not None:
        return dispatch(TOOLS, call)
    named = split_mcp_name(call.name)
    if named is None and "__" in call.name:
        named = split_double_underscore(call.name)
    if named is None and call.name.startswith("mcp_") and "_" in call.name[len("mcp_") :]:
        server, _, tool = call.name[len("mcp_") :].partition("_")
        named = (server, tool)
    return mcp(*named, call) if named is not None else dispatch(TOOLS, call)


def normalise(payload: object, *, identity: Identity | None = None) -> Event:
    obj = require_object(SOURCE, payload)
    name = text(obj.get("tool_name"))
    if not name:
        raise PayloadError(f"{SOURCE} payload has no tool_name", hint="expected a BeforeTool input")
    cwd = get_text(obj, "cwd") or ""
    call = Call.of(name, obj.get("tool_input"), cwd=cwd, payload=obj)
    return build_event(SOURCE, obj, _action(call), identity=identity, cwd=cwd)
