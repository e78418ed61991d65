"""OpenAI Codex PreToolUse payloads → Event.

Protocol: Codex hooks (developers.openai.com/codex/hooks; codex-rs/hooks, schema
pre-tool-use.command.input): session_id, turn_id, transcript_path, cwd, hook_event_name,
model, permission_mode, tool_name, tool_input, tool_use_id. The shell tool is sent as "Bash"
with tool_input.command as text; apply_patch carries the patch text in tool_input.command; MCP
tools are ``mcp__<server>__<tool>``. Verified: the field list and "Bash" {command}. From the
Codex tool handlers, not the hook docs: the internal shell tool names (shell, local_shell,
shell_command, exec_command, container.exec) whose command may be an argv list such as
["bash", "-lc", "..."] (unwrapped here), read_file/list_dir/grep_files, view_image,
web_search and the multi-agent spawn_agent/send_input; their argument names were read
generously. A shell command that is itself ``apply_patch`` is treated as the patch it applies.
"""

from __future__ import annotations

from typing import Final

from vectimus.core.errors import PayloadError
from vectimus.core.events import Action, Event, Identity

from ._event import build_event, dispatch
from ._fields import get_text, require_object, text, texts
from ._tools import (
    Call,
    ToolTable,
    agent_message,
    agent_spawn,
    file_read,
    mcp,
    patch,
    patch_action,
    search,
    shell,
    split_mcp_name,
    web_search,
)

SOURCE: Final = "codex"

_COMMAND_KEYS: Final = ("command", "cmd")
_shell = shell(*_COMMAND_KEYS)


def _patch_in_command(value: object) -> str | None:
    """The patch text when a shell command runs ``apply_patch``, else None."""
    if isinstance(value, list):
        argv = texts(value)
        if len(argv) >= 2 and argv[0] in {"apply_patch", "applypatch"}:
            return argv[1]
        return None
    command = text(value)
    if command and command.lstrip().startswith("apply_patch") and "*** Begin Patch" in command:
        return command
    return None


def _shell_tool(call: Call) -> Action:
    raw = next((call.args[k] for k in _COMMAND_KEYS if k in call.args), None)
    body = _patch_in_command(raw)
    if body is not None:
        return patch_action(call, body)
    action = _shell(call)
    workdir = get_text(call.args, "workdir", "cwd")
    if workdir is not None:
        action.extra["workdir"] = workdir
    return action


TOOLS: Final = ToolTable(
    {
        "Bash": _shell_tool,
        "shell": _shell_tool,
        "local_shell": _shell_tool,
        "shell_command": _shell_tool,
        "exec_command": _shell_tool,
        "container.exec": _shell_tool,
        "apply_patch": patch("command", "input", "patch"),
        "read_file": file_read(("file_path", "path")),
        "view_image": file_read(("path", "file_path")),
        "list_dir": search(("dir_path", "path"), ()),
        "grep_files": search(("path", "dir_path"), ("pattern",), ("include",)),
        "web_search": web_search(("query",)),
        "spawn_agent": agent_spawn,
        "send_input": agent_message,
    }
)


def normalise(payload: object, *, identity: Identity | None = None) -> Event:
    obj = require_object(SOURCE, payload)
    name = text(obj.get("tool_name"))
    if not name:
        raise PayloadError(f"{SOURCE} payload has no tool_name", hint="expected a PreToolUse input")
    cwd = get_text(obj, "cwd") or ""
    call = Call.of(name, obj.get("tool_input"), cwd=cwd, payload=obj)
    named = split_mcp_name(name)
    action = mcp(*named, call) if named is not None else dispatch(TOOLS, call)
    return build_event(SOURCE, obj, action, identity=identity, cwd=cwd)
