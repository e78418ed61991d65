"""GitHub Copilot hook payloads (VS Code agent hooks and Copilot CLI) → Event.

Protocols, both verified:

- VS Code agent hooks (code.visualstudio.com/docs/copilot/customization/hooks): common fields
  timestamp, cwd, sessionId, hookEventName, transcript_path; PreToolUse adds tool_name,
  tool_input, tool_use_id. Tool names are those of the Copilot Chat extension
  (src/extension/tools/common/toolNames.ts): run_in_terminal, create_file, insert_edit_into_file,
  replace_string_in_file, multi_replace_string_in_file, edit_notebook_file, apply_patch,
  create_directory, read_file, list_dir, file_search, grep_search, semantic_search,
  fetch_webpage, open_simple_browser, runSubagent, and their ``copilot_*`` contributed names.
  Argument names (filePath, content, code, oldString/newString, urls) follow those tools;
  create_file {filePath, content} was read in createFileTool.tsx. The hook docs' own examples
  also name runTerminalCommand, editFiles and createFile, which are mapped too. MCP tools are
  named ``mcp_<server>_<tool>`` (split on the first underscore: a best effort, as server names
  may hold underscores) or ``mcp__<server>__<tool>``.
- Copilot CLI hooks (docs.github.com, Copilot CLI hooks configuration): {timestamp, cwd,
  toolName, toolArgs} with toolArgs a JSON *string* (the SDK passes an object; both are read),
  and sessionId when present. Tool names bash, edit, view, create are documented; powershell,
  glob, grep, web_fetch, task and str_replace_editor and their argument names (path, file_text,
  old_str/new_str, pattern, url, prompt) were not verified.

toolArgs that do not decode to an object are kept: a shell tool's text becomes its command,
any other tool becomes an unknown-tool shell command of its name and that text.
"""

from __future__ import annotations

import shlex
from typing import Final

from vectimus.core.errors import PayloadError
from vectimus.core.events import Action, Event, Identity

from ._event import build_event, dispatch
from ._fields import UNDECODABLE, decode_json, get_list, get_text, require_object, text, texts
from ._tools import (
    DIR_KEYS,
    Call,
    Extra,
    ToolTable,
    agent_spawn,
    file_read,
    file_write,
    joined_edits,
    make,
    mcp,
    patch,
    search,
    shell,
    split_mcp_name,
    web_fetch,
)

SOURCE: Final = "copilot"

_PATHS: Final = ("filePath", "file_path", "path")
_SHELL_TOOLS: Final = frozenset(
    {"run_in_terminal", "runinterminal", "runterminalcommand", "bash", "shell", "powershell"}
)


def _multi_replace(call: Call) -> Action:
    edits = [e for e in get_list(call.args, "replacements") or [] if isinstance(e, dict)]
    paths = [p for p in (get_text(e, *_PATHS) for e in edits) if p is not None]
    extra: Extra = {"files": "\n".join(paths)} if len(set(paths)) > 1 else {}
    content = joined_edits(call, ("replacements",), ("newString", "new_string"))
    return make(
        "file_write", call, file_path=paths[0] if paths else None, file_content=content, extra=extra
    )


def _edit_files(call: Call) -> Action:
    files = texts(get_list(call.args, "files") or [])
    extra: Extra = {"files": "\n".join(files)} if len(files) > 1 else {}
    path = files[0] if files else get_text(call.args, *_PATHS)
    return make("file_write", call, file_path=path, extra=extra)


def _create_directory(call: Call) -> Action:
    path = get_text(call.args, "dirPath", "path")
    return make("file_write", call, file_path=path, extra={"operation": "create_directory"})


def _str_replace_editor(call: Call) -> Action:
    """The CLI's combined editor tool: its ``command`` argument says what it does."""
    operation = (get_text(call.args, "command") or "").casefold()
    if operation == "view":
        return file_read(("path",))(call)
    action = file_write(("path",), ("file_text", "new_str"))(call)
    if operation:
        action.extra["operation"] = operation
    return action


_create = file_write(_PATHS, ("content",))
_insert = file_write(_PATHS, ("code", "content"))
_replace = file_write(_PATHS, ("newString", "new_string"))
_read = file_read(_PATHS)
_fetch = web_fetch(("url",), ("urls",))
_find = search(DIR_KEYS, ("query", "pattern"), ("includePattern", "include", "glob"))
_find_files = search(DIR_KEYS, ("query", "pattern"), pattern_is_path=True)

TOOLS: Final = ToolTable(
    {
        # VS Code (Copilot Chat) tools, with their contributed names.
        "run_in_terminal": shell("command"),
        "runInTerminal": shell("command"),
        "runTerminalCommand": shell("command"),
        "create_file": _create,
        "createFile": _create,
        "copilot_createFile": _create,
        "insert_edit_into_file": _insert,
        "copilot_insertEdit": _insert,
        "replace_string_in_file": _replace,
        "copilot_replaceString": _replace,
        "multi_replace_string_in_file": _multi_replace,
        "copilot_multiReplaceString": _multi_replace,
        "edit_notebook_file": file_write(_PATHS, ("newCode", "code", "content")),
        "copilot_editNotebook": file_write(_PATHS, ("newCode", "code", "content")),
        "editFiles": _edit_files,
        "edit_files": _edit_files,
        "copilot_editFiles": _edit_files,
        "apply_patch": patch("input", "patch"),
        "copilot_applyPatch": patch("input", "patch"),
        "create_directory": _create_directory,
        "copilot_createDirectory": _create_directory,
        "read_file": _read,
        "readFile": _read,
        "copilot_readFile": _read,
        "list_dir": search(DIR_KEYS, ()),
        "copilot_listDirectory": search(DIR_KEYS, ()),
        "file_search": _find_files,
        "copilot_findFiles": _find_files,
        "grep_search": _find,
        "copilot_findTextInFiles": _find,
        "semantic_search": _find,
        "copilot_searchCodebase": _find,
        "fetch_webpage": _fetch,
        "fetch": _fetch,
        "copilot_fetchWebPage": _fetch,
        "open_simple_browser": _fetch,
        "copilot_openSimpleBrowser": _fetch,
        "runSubagent": agent_spawn,
        # Copilot CLI tools.
        "bash": shell("command"),
        "shell": shell("command"),
        "powershell": shell("command", dialect="powershell"),
        "view": file_read(("path",)),
        "create": file_write(("path",), ("file_text", "content")),
        "edit": file_write(("path",), ("new_str", "new_string")),
        "str_replace": file_write(("path",), ("new_str", "new_string")),
        "str_replace_editor": _str_replace_editor,
        "glob": search(("path",), ("pattern",), pattern_is_path=True),
        "grep": search(("path",), ("pattern",), ("glob",)),
        "web_fetch": web_fetch(("url",)),
        "task": agent_spawn,
    }
)


def _action(call: Call) -> Action:
    named = split_mcp_name(call.name)
    if named is None and call.name.startswith("mcp_") and TOOLS.get(call.name) is None:
        server, _, tool = call.name[len("mcp_") :].partition("_")
        named = (server, tool)
    return mcp(*named, call) if named is not None else dispatch(TOOLS, call)


def _unparsed(call: Call, raw: str) -> Action:
    """toolArgs that are not a JSON object: evaluate the text rather than drop it."""
    extra: Extra = {"unparsed_arguments": True}
    if call.name.casefold() in _SHELL_TOOLS:
        return make("shell_command", call, command=raw, extra=extra)
    extra["unknown_tool"] = True
    return make("shell_command", call, command=shlex.join([call.name, raw]), extra=extra)


def normalise(payload: object, *, identity: Identity | None = None) -> Event:
    obj = require_object(SOURCE, payload)
    cwd = get_text(obj, "cwd") or ""
    name = text(obj.get("tool_name"))
    if name:  # VS Code form
        action = _action(Call.of(name, obj.get("tool_input"), cwd=cwd, payload=obj))
        return build_event(SOURCE, obj, action, identity=identity, cwd=cwd)
    name = text(obj.get("toolName"))
    if not name:
        raise PayloadError(
            f"{SOURCE} payload has no tool_name or toolName",
            hint="expected a PreToolUse input from VS Code or a preToolUse input from Copilot CLI",
        )
    raw = obj.get("toolArgs")
    if isinstance(raw, str):
        decoded = decode_json(raw) if raw.strip() else {}
        if decoded is UNDECODABLE or not isinstance(decoded, dict):
            action = _unparsed(Call.of(name, raw, cwd=cwd, payload=obj), raw)
            return build_event(SOURCE, obj, action, identity=identity, cwd=cwd)
        raw = decoded
    action = _action(Call.of(name, raw, cwd=cwd, payload=obj))
    return build_event(SOURCE, obj, action, identity=identity, cwd=cwd)
