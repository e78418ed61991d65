"""Tool calls to Actions: the pieces every source's table is built from.

Each source module keeps an explicit table from its own tool names to handlers. The handlers
are made here, once, from the argument names a tool uses, so that a shell tool, a file write or
a subagent spawn reads its arguments the same way whichever agent sent it.
"""

from __future__ import annotations

import posixpath
import shlex
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from vectimus.core.events import Action, ActionType

from ._fields import (
    JsonObject,
    flatten_strings,
    get_bool,
    get_int,
    get_list,
    get_text,
    text,
    texts,
)

Extra = dict[str, str | int | bool]
Facts = Mapping[str, str | int | bool | None]
"""Extra facts before cleaning: a None value means "not sent" and is dropped."""


@dataclass(frozen=True, slots=True)
class Call:
    """One tool call as a source sent it."""

    name: str
    """The tool name exactly as sent; it becomes ``raw_tool_name``."""
    args: JsonObject
    """The arguments when they are an object, else empty."""
    raw_args: object = None
    """The arguments as sent, whatever their type, for the unknown-tool fallback."""
    cwd: str = ""
    payload: JsonObject = field(default_factory=dict)
    """The whole hook payload, for handlers that need a field outside the arguments."""

    @classmethod
    def of(cls, name: str, raw_args: object, *, cwd: str, payload: JsonObject) -> Call:
        """A call whose arguments are ``raw_args`` when they are an object."""
        args = raw_args if isinstance(raw_args, dict) else {}
        return cls(name=name, args=args, raw_args=raw_args, cwd=cwd, payload=payload)


Handler = Callable[[Call], Action]


class ToolTable:
    """Tool name → handler, looked up exactly first and then case-insensitively."""

    def __init__(self, handlers: Mapping[str, Handler]) -> None:
        self._exact = dict(handlers)
        self._folded = {name.casefold(): handler for name, handler in handlers.items()}

    def get(self, name: str) -> Handler | None:
        return self._exact.get(name) or self._folded.get(name.casefold())


# Argument names shared by many tools, in order of preference.
PATH_KEYS: Final = (
    "file_path",
    "filePath",
    "path",
    "absolute_path",
    "target_file",
    "notebook_path",
    "filepath",
)
CONTENT_KEYS: Final = (
    "content",
    "contents",
    "file_text",
    "new_string",
    "newString",
    "new_str",
    "code_edit",
    "code",
    "new_source",
    "newCode",
)
DIR_KEYS: Final = ("path", "dir_path", "directory", "dirPath", "dir", "cwd")
PATTERN_KEYS: Final = ("pattern", "query", "regex", "glob_pattern")
URL_KEYS: Final = ("url", "uri", "href")
QUERY_KEYS: Final = ("query", "q", "search_term", "searchTerm")

_SHELLS: Final = frozenset({"bash", "sh", "zsh", "dash", "ksh", "fish", "ash"})
_POWERSHELLS: Final = frozenset({"powershell", "powershell.exe", "pwsh", "pwsh.exe"})


def make(
    action_type: ActionType, call: Call, *, extra: Facts | None = None, **fields: Any
) -> Action:
    """An Action for ``call``; extra facts that are None are left out."""
    kept: Extra = {k: v for k, v in (extra or {}).items() if v is not None}
    return Action(action_type=action_type, raw_tool_name=call.name, extra=kept, **fields)


# --- shell -----------------------------------------------------------------------------------


def _unwrap_argv(argv: list[str]) -> str:
    """``["bash", "-lc", X]`` → X; any other argv → its shell-quoted join."""
    if len(argv) >= 3:
        program = posixpath.basename(argv[0]).casefold()
        flags = argv[1:-1]
        if program in _SHELLS and all(f.startswith("-") for f in flags):
            last = flags[-1] if flags else ""
            if last.startswith("-") and not last.startswith("--") and "c" in last:
                return argv[-1]
        if program in _POWERSHELLS and flags and flags[-1].casefold() in {"-command", "-c"}:
            return argv[-1]
    return shlex.join(argv)


def command_text(value: object) -> str | None:
    """A command given as text, or as an argv list (which is unwrapped or quoted)."""
    if isinstance(value, list):
        argv = texts(value)
        return _unwrap_argv(argv) if argv else None
    return text(value) or None


def _is_powershell(value: object) -> bool:
    """An argv whose program is PowerShell (``["pwsh", "-Command", ...]``)."""
    if not isinstance(value, list) or not value or not isinstance(value[0], str):
        return False
    return posixpath.basename(value[0].replace("\\", "/")).casefold() in _POWERSHELLS


def shell(*keys: str, dialect: str = "") -> Handler:
    """A shell tool whose command is in the first of ``keys``.

    ``dialect`` "powershell" marks a tool whose commands are PowerShell code; an argv that
    runs PowerShell is marked so too. Shell analysis then reads backslashes as separators.
    """

    def handle(call: Call) -> Action:
        command = None
        powershell = dialect == "powershell"
        for key in keys:
            value = call.args.get(key)
            command = command_text(value)
            if command:
                powershell = powershell or _is_powershell(value)
                break
        if command is None:
            # No command where one belongs: evaluate whatever text the call carries.
            command = command_text(call.raw_args) or " ".join(flatten_strings(call.raw_args)[0])
        extra: Extra = {}
        background = get_bool(call.args, "run_in_background", "isBackground", "is_background")
        if background is not None:
            extra["run_in_background"] = background
        if powershell:
            extra["shell"] = "powershell"
        return make("shell_command", call, command=command, extra=extra)

    return handle


def unknown_tool(call: Call) -> Action:
    """A tool nobody mapped: still evaluated, as a command made of its name and its strings."""
    strings, truncated = flatten_strings(call.raw_args)
    extra: Extra = {"unknown_tool": True}
    if truncated:
        extra["arguments_truncated"] = True
    return make("shell_command", call, command=shlex.join([call.name, *strings]), extra=extra)


# --- files -----------------------------------------------------------------------------------


def file_write(
    path_keys: tuple[str, ...] = PATH_KEYS, content_keys: tuple[str, ...] = CONTENT_KEYS
) -> Handler:
    def handle(call: Call) -> Action:
        return make(
            "file_write",
            call,
            file_path=get_text(call.args, *path_keys),
            file_content=get_text(call.args, *content_keys),
        )

    return handle


def file_delete(path_keys: tuple[str, ...] = PATH_KEYS) -> Handler:
    def handle(call: Call) -> Action:
        path = get_text(call.args, *path_keys)
        return make("file_write", call, file_path=path, extra={"operation": "delete"})

    return handle


def joined_edits(
    call: Call, list_keys: tuple[str, ...], content_keys: tuple[str, ...]
) -> str | None:
    """The new text of every edit in a list of edits, joined with newlines."""
    edits = get_list(call.args, *list_keys) or []
    parts = [get_text(edit, *content_keys) for edit in edits if isinstance(edit, dict)]
    found = [part for part in parts if part is not None]
    return "\n".join(found) if found else None


def file_read(path_keys: tuple[str, ...] = PATH_KEYS) -> Handler:
    def handle(call: Call) -> Action:
        return make("file_read", call, file_path=get_text(call.args, *path_keys))

    return handle


_GLOB_CHARS: Final = frozenset("*?[{")


def glob_base(pattern: str, cwd: str) -> str:
    """The directory a glob pattern starts from: its leading segments without wildcards.

    A relative base is joined to ``cwd``; a pattern that starts with a wildcard gives ``cwd``.
    """
    segments = pattern.split("/")
    fixed: list[str] = []
    for segment in segments:
        if _GLOB_CHARS.intersection(segment):
            break
        fixed.append(segment)
    base = "/".join(fixed) if fixed != [""] else "/"
    if not base or base.startswith(("/", "~")) or not cwd:
        return base or cwd
    return posixpath.join(cwd, base)


def search(
    dir_keys: tuple[str, ...] = DIR_KEYS,
    pattern_keys: tuple[str, ...] = PATTERN_KEYS,
    filter_keys: tuple[str, ...] = ("glob", "include", "include_pattern", "includePattern"),
    *,
    pattern_is_path: bool = False,
) -> Handler:
    """A search over files (grep, glob, ls): a read of the directory searched.

    The directory is the tool's own, else (for a glob, ``pattern_is_path``) the pattern's fixed
    leading part, else the working directory. The pattern goes to ``extra["pattern"]``.
    """

    def handle(call: Call) -> Action:
        extra: Extra = {}
        pattern = get_text(call.args, *pattern_keys)
        if pattern is not None:
            extra["pattern"] = pattern
        file_filter = get_text(call.args, *filter_keys)
        if file_filter is not None:
            extra["glob"] = file_filter
        path = get_text(call.args, *dir_keys)
        if path is None and pattern_is_path and pattern is not None:
            path = glob_base(pattern, call.cwd)
        return make("file_read", call, file_path=path or call.cwd or None, extra=extra)

    return handle


# --- web -------------------------------------------------------------------------------------


def web_fetch(
    url_keys: tuple[str, ...] = URL_KEYS, list_keys: tuple[str, ...] = ("urls",)
) -> Handler:
    def handle(call: Call) -> Action:
        url = get_text(call.args, *url_keys)
        extra: Extra = {}
        urls = texts(get_list(call.args, *list_keys) or [])
        if url is None and urls:
            url = urls[0]
        if len(urls) > 1:
            extra["urls"] = "\n".join(urls)
        return make("web_request", call, url=url or "", extra=extra)

    return handle


def web_search(query_keys: tuple[str, ...] = QUERY_KEYS) -> Handler:
    def handle(call: Call) -> Action:
        return make("web_request", call, url="", extra={"query": get_text(call.args, *query_keys)})

    return handle


# --- agents ----------------------------------------------------------------------------------


def agent_spawn(call: Call) -> Action:
    """A subagent launch; the facts policies ask about go to ``extra``."""
    a = call.args
    extra: dict[str, str | int | bool | None] = {
        "subagent_type": get_text(
            a, "subagent_type", "subagentType", "agent_type", "agentName", "agent_name"
        ),
        "description": get_text(a, "description"),
        "prompt": get_text(a, "prompt", "message", "task", "objective"),
        "permission_mode": get_text(a, "permission_mode", "permissionMode", "mode"),
        "model": get_text(a, "model"),
        "isolation": get_text(a, "isolation"),
        "name": get_text(a, "name"),
    }
    max_turns = get_int(a, "max_turns", "maxTurns")
    if max_turns is not None:
        extra["max_turns"] = max_turns
    background = get_bool(a, "run_in_background", "runInBackground")
    if background is not None:
        extra["run_in_background"] = background
    return make("agent_spawn", call, extra=extra)


def agent_message(call: Call) -> Action:
    """A message to another agent."""
    extra: Facts = {
        "recipient": get_text(call.args, "to", "recipient", "agent_id", "id", "target"),
        "message": get_text(call.args, "message", "content", "text", "prompt"),
    }
    return make("agent_message", call, extra=extra)


# --- MCP -------------------------------------------------------------------------------------


def split_double_underscore(name: str) -> tuple[str, str]:
    """``server__tool`` → (server, tool), split on the first ``__``; no ``__`` → (name, "")."""
    server, _, tool = name.partition("__")
    return server, tool


def split_mcp_name(name: str) -> tuple[str, str] | None:
    """``mcp__<server>__<tool>`` → (server, tool); server names may hold single underscores."""
    if not name.startswith("mcp__"):
        return None
    return split_double_underscore(name[len("mcp__") :])


_MCP_PATH_KEYS: Final = (
    *PATH_KEYS, "filename", "file", "paths", "source", "destination", "target", "directory",
    "dir", "dirPath", "dir_path", "from", "to",
)  # fmt: skip
_MCP_COMMAND_KEYS: Final = ("command", "cmd", "commandLine", "command_line", "shell_command")
_MCP_URL_KEYS: Final = ("url", "uri", "href", "urls")
_MCP_WRITE_VERBS: Final = (
    "write", "edit", "create", "update", "put", "move", "rename", "delete", "remove", "append",
    "upload", "save", "patch", "set", "copy", "mkdir", "insert", "replace",
)  # fmt: skip


def _strings_at(args: JsonObject, keys: tuple[str, ...]) -> list[str]:
    found: list[str] = []
    for key in keys:
        value = args.get(key)
        if isinstance(value, list):
            found.extend(texts(value))
        elif (item := text(value)) is not None:
            found.append(item)
    return [item for item in found if item.strip()]


def mcp_argument_facts(tool: str, args: JsonObject) -> Extra:
    """What an MCP call's arguments name: files, a command line, URLs.

    MCP servers that read files, run commands or fetch pages are as able to cross a line as
    the agent's own tools, so their arguments are judged like those tools' arguments.
    """
    extra: Extra = {}
    urls = [u for u in _strings_at(args, _MCP_URL_KEYS) if "://" in u]
    paths = [
        p for p in _strings_at(args, _MCP_PATH_KEYS) if "://" not in p or p.startswith("file:")
    ]
    paths = [p.removeprefix("file://") for p in paths]
    commands = _strings_at(args, _MCP_COMMAND_KEYS)
    if paths:
        extra["mcp_paths"] = "\n".join(paths)
        folded = tool.casefold()
        extra["mcp_writes"] = any(verb in folded for verb in _MCP_WRITE_VERBS)
    if commands:
        extra["mcp_command"] = "\n".join(commands)
    if urls:
        extra["mcp_urls"] = "\n".join(urls)
    return extra


def mcp(server: str, tool: str, call: Call, extra: Facts | None = None) -> Action:
    facts = {**mcp_argument_facts(tool or call.name, call.args), **(extra or {})}
    return make("mcp_tool", call, mcp_server=server, mcp_tool=tool, extra=facts)


# --- patches ---------------------------------------------------------------------------------

_PATCH_FILE_MARKERS: Final = (
    "*** Add File: ",
    "*** Update File: ",
    "*** Delete File: ",
    "*** Move to: ",
)


def patch(*keys: str) -> Handler:
    """An ``apply_patch`` envelope: a write to every file it names.

    ``file_path`` is the first file, ``file_content`` the lines the patch adds, and every file
    it touches (and deletes) is listed in ``extra``.
    """

    def handle(call: Call) -> Action:
        body = None
        for key in keys:
            body = command_text(call.args.get(key))
            if body:
                break
        if body is None:
            body = text(call.raw_args) or ""
        return patch_action(call, body)

    return handle


def patch_action(call: Call, body: str) -> Action:
    paths: list[str] = []
    deleted: list[str] = []
    added: list[str] = []
    for line in body.splitlines():
        marker = next((m for m in _PATCH_FILE_MARKERS if line.startswith(m)), None)
        if marker is not None:
            path = line[len(marker) :].strip()
            paths.append(path)
            if marker == "*** Delete File: ":
                deleted.append(path)
        elif line.startswith("+") and not line.startswith("+++"):
            added.append(line[1:])
    extra: Extra = {}
    if paths:
        extra["patch_files"] = "\n".join(paths)
    if deleted:
        extra["patch_deleted_files"] = "\n".join(deleted)
    return make(
        "file_write",
        call,
        file_path=paths[0] if paths else None,
        file_content="\n".join(added) if added else None,
        extra=extra,
    )
