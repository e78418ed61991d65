"""Expand one event into the Cedar requests that together decide it.

A shell command becomes one request per simple command (each carrying the whole line as
``raw_command``, so rules can look at either), plus a file request for every path it reads
or writes. Written script content and executed scripts are expanded line by line the same
way. The strictest answer over all the requests wins, so splitting can only add scrutiny.
"""

from __future__ import annotations

import posixpath
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from vectimus.core.engine import Request
from vectimus.core.events import Event
from vectimus.core.inspect import script_lines
from vectimus.core.shell import analyse
from vectimus.core.shell.facts import ShellAnalysis, SimpleCommand
from vectimus.core.shell.pathnorm import canonical_path

ReadFile = Callable[[str], str | None]
_MAX_SCRIPT_DEPTH = 2
_COMMAND_ACTIONS = frozenset(
    {"shell_command", "git_operation", "infrastructure", "package_operation"}
)
_FILE_ACTIONS = frozenset({"file_read", "file_write"})


@dataclass(frozen=True)
class Limits:
    max_lines: int = 5000
    excessive_turns_threshold: int = 50
    mcp_allowed: frozenset[str] = frozenset()
    home: str = ""


@dataclass
class Expansion:
    requests: list[Request] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    # Set when part of the input could not be inspected in full; the caller escalates.
    incomplete: bool = False
    _seen: set[str] = field(default_factory=set)

    def add(self, action: str, tool: str, context: dict[str, object]) -> None:
        key = f"{action}\0{tool}\0{sorted(context.items(), key=lambda kv: kv[0])!r}"
        if key not in self._seen:
            self._seen.add(key)
            self.requests.append(Request(action=action, tool=tool, context=context))


def expand(event: Event, limits: Limits, read_file: ReadFile | None = None) -> Expansion:
    """All the requests for ``event``. ``read_file`` reads scripts the command runs."""
    return _Walk(event, limits, read_file).run()


class _Walk:
    """One expansion: the event, its limits, and the requests found so far."""

    def __init__(self, event: Event, limits: Limits, read_file: ReadFile | None) -> None:
        self.event, self.limits, self.read_file = event, limits, read_file
        self.source, self.tool = event.source.tool, event.action.raw_tool_name
        self.out = Expansion()

    def path(self, path: str) -> str:
        return _abs(path, self.event.context.cwd, self.limits.home)

    def run(self) -> Expansion:
        action, out = self.event.action, self.out
        kind, path = action.action_type, self.path(action.file_path or "")
        if kind in _COMMAND_ACTIONS:
            self.command(action.command or action.raw_tool_name, "tool", 0)
        elif kind in {"file_write", "file_read"}:
            out.add(
                kind, self.tool, _file_facts(self.source, "tool", path, "", action.command or "")
            )
            if kind == "file_write" and action.file_content:
                self.content(path, action.file_content, executed=False, depth=0)
        elif kind == "web_request":
            out.add(kind, self.tool, _web_facts(self.source, action.url or ""))
        elif kind == "mcp_tool":
            out.add(kind, self.tool, _mcp_facts(self.source, self.event, self.limits))
        else:
            out.add(kind, self.tool, _agent_facts(self.source, self.event, self.limits))
        if action.script_content and kind != "file_write":
            self.content(path or "script", action.script_content, executed=True, depth=0)
        return out

    def command(self, line: str, origin: str, depth: int) -> None:
        analysis = analyse(line, home=self.limits.home or None)
        branch = self.event.context.branch
        for simple in analysis.commands or (_raw_command(analysis),):
            # A reader or writer is still a command; its paths get requests of their own.
            kind = "shell_command" if simple.action_type in _FILE_ACTIONS else simple.action_type
            self.out.add(
                kind, self.tool, _command_facts(self.source, origin, analysis, simple, branch)
            )
            for action, paths in (
                ("file_read", simple.read_paths),
                ("file_write", simple.write_paths),
            ):
                for found in paths:
                    facts = _file_facts(self.source, origin, self.path(found), simple.program, line)
                    self.out.add(action, self.tool, facts)
            if simple.script_path and self.read_file is not None and depth < _MAX_SCRIPT_DEPTH:
                script = self.path(simple.script_path)
                content = self.read_file(_expand_home(script, self.limits.home))
                if content is not None:
                    self.content(script, content, executed=True, depth=depth + 1)

    def content(self, path: str, content: str, *, executed: bool, depth: int) -> None:
        limit = self.limits.max_lines
        found = script_lines(path, content, max_lines=limit, executed=executed)
        if found is None:
            return
        if found.truncated:
            self.out.incomplete = True
            self.out.notes.append(
                f"{path} has more than {limit} command lines; the rest was not inspected"
            )
        origin = "script" if executed else "content"
        for line in found.lines:
            self.command(line, origin, depth)


def _raw_command(analysis: ShellAnalysis) -> SimpleCommand:
    # Nothing parsed (blank, or a comment): still evaluate the raw text, conservatively.
    return SimpleCommand(program="", text=analysis.raw)


def _command_facts(
    source: str, origin: str, analysis: ShellAnalysis, simple: SimpleCommand, branch: str
) -> dict[str, object]:
    return {
        "source": source,
        "origin": origin,
        "raw_command": analysis.raw,
        "command": simple.text,
        "program": simple.program,
        "subcommand": simple.subcommand,
        "flags": sorted(simple.flags),
        "args": list(dict.fromkeys(simple.args)),
        "wrappers": list(dict.fromkeys(simple.wrappers)),
        "pipe_from": list(dict.fromkeys(simple.pipe_from)),
        "inline_code": simple.inline_code,
        "dynamic": simple.dynamic,
        "parse_error": analysis.parse_error,
        "branch": branch,
    }


def _file_facts(source: str, origin: str, path: str, program: str, raw: str) -> dict[str, object]:
    return {
        "source": source,
        "origin": origin,
        "file_path": path,
        "program": program,
        "raw_command": raw,
    }


def _mcp_facts(source: str, event: Event, limits: Limits) -> dict[str, object]:
    server = event.action.mcp_server or ""
    return {
        "source": source,
        "mcp_server": server,
        "mcp_tool": event.action.mcp_tool or "",
        "mcp_server_allowed": server in limits.mcp_allowed,
    }


def _web_facts(source: str, url: str) -> dict[str, object]:
    try:
        parts = urlsplit(url.strip())
        scheme, host = parts.scheme.lower(), (parts.hostname or "").lower()
    except ValueError:
        scheme, host = "", ""
    return {"source": source, "origin": "tool", "url": url, "url_scheme": scheme, "url_host": host}


def _agent_facts(source: str, event: Event, limits: Limits) -> dict[str, object]:
    extra = event.action.extra
    turns = extra.get("max_turns", 0)
    return {
        "source": source,
        "subagent_type": str(extra.get("subagent_type", "")),
        "permission_mode": str(extra.get("permission_mode", "")),
        "max_turns": turns if isinstance(turns, int) and not isinstance(turns, bool) else 0,
        "excessive_turns_threshold": limits.excessive_turns_threshold,
    }


def _abs(path: str, cwd: str, home: str) -> str:
    """A path as policies see it: absolute where the cwd is known, the home dir as ``~``."""
    if not path:
        return ""
    if not path.startswith(("/", "~", "$")) and cwd and not _is_windows(path):
        path = posixpath.join(cwd, path)
    return canonical_path(path, home)


def _is_windows(path: str) -> bool:
    return len(path) > 1 and path[1] == ":"


def _expand_home(path: str, home: str) -> str:
    if path == "~" or path.startswith("~/"):
        return (home or posixpath.expanduser("~")) + path[1:]
    return path
