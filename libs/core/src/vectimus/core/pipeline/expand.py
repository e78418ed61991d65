"""Expand one event into the Cedar requests that together decide it.

A shell command becomes one request per simple command (each carrying the whole line as
``raw_command``, so rules can look at either), plus a file request for every path it reads
or writes. Written script content and executed scripts are expanded line by line the same
way. The strictest answer over all the requests wins, so splitting can only add scrutiny.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from vectimus.core.engine import Request
from vectimus.core.events import Event
from vectimus.core.inspect import script_lines
from vectimus.core.pipeline import hosts
from vectimus.core.shell import analyse
from vectimus.core.shell.facts import ShellAnalysis, SimpleCommand
from vectimus.core.shell.pathnorm import canonical_path

ReadFile = Callable[[str], str | None]
_MAX_SCRIPT_DEPTH = 2
_COMMAND_ACTIONS = frozenset(
    {"shell_command", "git_operation", "infrastructure", "package_operation"}
)
_FILE_ACTIONS = frozenset({"file_read", "file_write"})
# Programs whose plain words name hosts (``curl example.com``, ``nc 10.0.0.1 4444``).
_NETWORK_PROGRAMS = frozenset(
    {
        "curl", "wget", "http", "https", "xh", "httpie", "aria2c", "lynx", "w3m", "links",
        "nc", "ncat", "netcat", "socat", "telnet", "openssl", "nmap", "ping", "ping6",
        "dig", "nslookup", "host", "drill", "whois", "traceroute", "tracepath", "mtr",
        "ssh", "scp", "sftp", "ftp", "invoke-webrequest", "invoke-restmethod",
        "test-netconnection", "resolve-dnsname",
    }
)  # fmt: skip
# Tools whose pattern names files (a glob), unlike a grep tool's pattern (a regex).
_GLOB_TOOLS = frozenset({"glob", "glob_file_search", "file_search", "copilot_findfiles"})
_WHITESPACE = re.compile(r"\s+")
_PWD_WORDS = frozenset({"$PWD", "${PWD}", "$(pwd)", "`pwd`"})


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
        self.cwd = _working_dir(event)
        self.cwd_and_parents = _lineage(self.cwd, self.limits.home)

    def path(self, path: str) -> str:
        return _abs(path, self.cwd, self.limits.home)

    def run(self) -> Expansion:
        action, out = self.event.action, self.out
        kind, path = action.action_type, self.path(action.file_path or "")
        if kind in _COMMAND_ACTIONS:
            self.command(action.command or action.raw_tool_name, "tool", 0)
        elif kind in {"file_write", "file_read"}:
            for found in (path, *self.more_paths(path)):
                facts = _file_facts(self.source, "tool", found, "", action.command or "")
                out.add(kind, self.tool, facts)
            if kind == "file_write" and action.file_content:
                self.content(path, action.file_content, executed=False, depth=0)
        elif kind == "web_request":
            urls = [action.url or "", *_lines(action.extra.get("urls"))]
            for url in dict.fromkeys(urls):
                out.add(kind, self.tool, _web_facts(self.source, url))
        elif kind == "mcp_tool":
            out.add(kind, self.tool, _mcp_facts(self.source, self.event, self.limits))
        else:
            out.add(kind, self.tool, _agent_facts(self.source, self.event, self.limits))
        if action.script_content and kind != "file_write":
            self.content(path or "script", action.script_content, executed=True, depth=0)
        return out

    def more_paths(self, path: str) -> list[str]:
        """Other paths one file tool call touches: every file of a patch or multi-file edit,
        the files of a read-many call, and what a search's glob filter or a glob tool names.
        """
        extra = self.event.action.extra
        found: list[str] = []
        for key in ("patch_files", "files", "paths"):
            found.extend(self.path(p) for p in _lines(extra.get(key)))
        base = path or self.path(self.cwd)
        globs = _lines(extra.get("glob"))
        if self.tool.casefold() in _GLOB_TOOLS:
            globs.extend(_lines(extra.get("pattern")))
        for pattern in globs:
            joined = pattern if pattern.startswith(("/", "~")) else posixpath.join(base, pattern)
            found.append(self.path(joined))
        return [p for p in dict.fromkeys(found) if p and p != path]

    def command(self, line: str, origin: str, depth: int) -> None:
        analysis = analyse(line, home=self.limits.home or None)
        branch = self.event.context.branch
        shared = _LineFacts(
            raw_folded=_WHITESPACE.sub(" ", analysis.raw.lower()).strip(),
            cwd_and_parents=self.cwd_and_parents,
            assigned=_assigned_urls(analysis.raw),
        )
        for simple in analysis.commands or (_raw_command(analysis),):
            # A reader or writer is still a command; its paths get requests of their own.
            kind = "shell_command" if simple.action_type in _FILE_ACTIONS else simple.action_type
            facts = _command_facts(self.source, origin, analysis, simple, branch)
            facts.update(self.line_facts(simple, shared))
            self.out.add(kind, self.tool, facts)
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

    def line_facts(self, simple: SimpleCommand, shared: _LineFacts) -> dict[str, object]:
        """The facts computed here rather than by shell analysis: hosts, paths, folded text."""
        found = hosts.hosts_in_text(simple.inline_code) if simple.inline_code else []
        bare = simple.program in _NETWORK_PROGRAMS
        for arg in simple.args:
            found.extend(hosts.hosts_in_text(arg))
            if bare and (host := hosts.bare_host(arg)):
                found.append(host)
        for wrapper in simple.wrappers:
            if wrapper.endswith("="):
                found.extend(shared.assigned.get(wrapper, ()))
        unique = list(dict.fromkeys(found))
        return {
            "raw_folded": shared.raw_folded,
            "url_domains": hosts.domains(unique),
            "url_local": bool(unique) and all(hosts.is_local(h) for h in unique),
            "arg_paths": self.arg_paths(simple.args),
            "cwd_and_parents": shared.cwd_and_parents,
        }

    def arg_paths(self, args: tuple[str, ...]) -> list[str]:
        """Each argument as a path; a ``src:dst`` mapping (``docker -v ~/.aws:/root/.aws``)
        also gives its source."""
        out: dict[str, None] = {}
        for arg in args:
            if not arg or arg[0] == "-":
                continue
            out[self.arg_path(arg)] = None
            head, colon, _ = arg.partition(":")
            if colon and head[:1] in ("/", "~", ".") and "://" not in arg:
                out[self.arg_path(head)] = None
        return list(out)

    def arg_path(self, arg: str) -> str:
        if arg in _PWD_WORDS:
            return self.path(".") if self.cwd else arg
        if _is_windows(arg) or "\\" in arg:
            return _windows_path(arg)
        if "://" in arg:
            return arg
        return self.path(arg)


@dataclass(frozen=True, slots=True)
class _LineFacts:
    raw_folded: str
    cwd_and_parents: list[str]
    assigned: dict[str, list[str]]


_ASSIGNMENT = re.compile(r"(?<![\w$])([A-Za-z_][A-Za-z0-9_]*)=(\S+)")


def _assigned_urls(raw: str) -> dict[str, list[str]]:
    """Hosts of URLs assigned to variables on the line (``DATABASE_URL=postgres://h/db cmd``).

    Shell analysis records an assignment that prefixes a command as the wrapper ``NAME=``;
    its value is read back from the line here.
    """
    if "://" not in raw:
        return {}
    out: dict[str, list[str]] = {}
    for match in _ASSIGNMENT.finditer(raw):
        found = hosts.hosts_in_text(match.group(2))
        if found:
            out.setdefault(match.group(1) + "=", []).extend(found)
    return out


def _lines(value: object) -> list[str]:
    return [v for v in value.splitlines() if v.strip()] if isinstance(value, str) else []


def _working_dir(event: Event) -> str:
    """The directory a call runs in: the payload's cwd, moved by a tool's own directory."""
    cwd = event.context.cwd
    extra = event.action.extra
    for key in ("dir_path", "workdir"):
        value = extra.get(key)
        if isinstance(value, str) and value:
            if value.startswith(("/", "~")) or _is_windows(value) or not cwd:
                return value
            return posixpath.join(cwd, value)
    return cwd


def _lineage(cwd: str, home: str) -> list[str]:
    """The working directory and each directory above it, canonical; [] when unknown."""
    if not cwd:
        return []
    if _is_windows(cwd) or "\\" in cwd:
        path = _windows_path(cwd)
        out = [path]
        while "/" in path.rstrip("/"):
            path = path.rstrip("/").rsplit("/", 1)[0]
            out.append(path + "/" if path.endswith(":") else path)
        return out
    absolute = posixpath.normpath(_expand_home(cwd, home)) if cwd.startswith("~") else cwd
    if not absolute.startswith("/"):
        return [canonical_path(absolute, home)]
    absolute = posixpath.normpath(absolute)
    out = []
    while True:
        out.append(canonical_path(absolute, home))
        if absolute == "/":
            return list(dict.fromkeys(out))
        absolute = posixpath.dirname(absolute)


def _windows_path(path: str) -> str:
    """A Windows path folded for matching: lower case, forward slashes, ``c:`` as ``c:/``."""
    folded = re.sub(r"/+", "/", path.lower().replace("\\", "/"))
    if len(folded) == 2 and folded[1] == ":":
        return folded + "/"
    if len(folded) > 3 and folded.endswith("/"):
        folded = folded.rstrip("/")
    return folded


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
        "path_folded": path.lower().replace("\\", "/"),
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
        scheme = urlsplit(url.strip()).scheme.lower()
    except ValueError:
        scheme = ""
    host = hosts.url_host(url)
    return {
        "source": source,
        "origin": "tool",
        "url": url,
        "url_scheme": scheme,
        "url_host": host,
        "url_domains": hosts.domains([host]),
        "url_internal": hosts.is_internal(host),
    }


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
