"""Expand one event into the Cedar requests that together decide it.

A shell command becomes one request per simple command (each carrying the whole line as
``raw_command``, so rules can look at either), plus a file request for every path it reads
or writes. Written script content and executed scripts are expanded line by line the same
way. The strictest answer over all the requests wins, so splitting can only add scrutiny.
"""

from __future__ import annotations

import posixpath
import re
import shlex
from collections.abc import Callable
from dataclasses import dataclass, field

from vectimus.core.engine import Request
from vectimus.core.events import Event
from vectimus.core.inspect import script_lines
from vectimus.core.pipeline import hosts
from vectimus.core.pipeline.paths import (
    absolute,
    expand_home,
    is_windows,
    lineage,
    windows_path,
)
from vectimus.core.pipeline.requestfacts import command_facts, file_facts, mcp_facts, web_facts
from vectimus.core.sessions import SessionCounts, session_facts
from vectimus.core.shell import analyse
from vectimus.core.shell.facts import ShellAnalysis, SimpleCommand
from vectimus.core.shell.globs import sensitive_matches

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
# Characters of context, summed over an event's requests, that one evaluation will read.
TEXT_BUDGET = 8 * 1024 * 1024
_OVER_BUDGET = "the call holds more commands than one evaluation reads; the rest was not inspected"
# Files written into a temporary directory are read as scripts, but not documents and data.
_DOCUMENTS = (
    ".md", ".txt", ".json", ".yml", ".yaml", ".csv", ".log", ".xml", ".html", ".diff",
    ".patch", ".toml", ".ini", ".rst",
)  # fmt: skip
# An unknown tool's strings are each evaluated as a command line up to these bounds.
_UNKNOWN_TOOL_TEXT = 256 * 1024
_UNKNOWN_TOOL_STRINGS = 64
# Directories anyone (and so the agent, in an earlier call) can write to.
_TEMP_DIRS = (
    "/tmp/", "/var/tmp/", "/dev/shm/", "/run/shm/", "/private/tmp/",  # noqa: S108 - watched, not used
    "/private/var/folders/", "$TMPDIR/", "${TMPDIR}/", "~/Downloads/",
)  # fmt: skip


@dataclass(frozen=True)
class Limits:
    max_lines: int = 5000
    excessive_turns_threshold: int = 50
    mcp_allowed: frozenset[str] = frozenset()
    home: str = ""
    session_spawn_limit: int = 10
    session_message_limit: int = 50
    session_ttl_s: int = 3600


@dataclass
class Expansion:
    requests: list[Request] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    # Set when part of the input could not be inspected in full; the caller escalates.
    incomplete: bool = False
    _seen: set[tuple[object, ...]] = field(default_factory=set)
    # Characters of context carried by the requests so far (see TEXT_BUDGET).
    _text: int = 0

    def add(self, action: str, tool: str, context: dict[str, object]) -> None:
        # A tuple, not a repr: every request of a line shares its raw text, and a string
        # hashes once, where a repr would copy the whole line for every request.
        key = (action, tool, *(_hashable(context[name]) for name in sorted(context)))
        if key in self._seen:
            return
        self._seen.add(key)
        # Each request carries its whole line, and the engine reads it for each: thousands
        # of commands on a long line would cost their product. Past the budget the rest is
        # not evaluated and the call escalates, rather than stall the hook (an agent tool
        # lets a call through when its hook times out).
        size = sum(len(value) for value in context.values() if isinstance(value, str))
        if self._text + size > TEXT_BUDGET:
            self.incomplete = True
            if _OVER_BUDGET not in self.notes:
                self.notes.append(_OVER_BUDGET)
            return
        self._text += size
        self.requests.append(Request(action=action, tool=tool, context=context))


def _hashable(value: object) -> object:
    if isinstance(value, dict):  # a record fact (context.session): its items, in order
        return tuple(sorted(value.items()))
    return tuple(value) if isinstance(value, list) else value


def expand(
    event: Event,
    limits: Limits,
    read_file: ReadFile | None = None,
    session: SessionCounts | None = None,
) -> Expansion:
    """All the requests for ``event``. ``read_file`` reads scripts the command runs;
    ``session`` is the calling session's counts (none: all zero)."""
    return _Walk(event, limits, read_file, session).run()


class _Walk:
    """One expansion: the event, its limits, and the requests found so far."""

    def __init__(
        self,
        event: Event,
        limits: Limits,
        read_file: ReadFile | None,
        session: SessionCounts | None = None,
    ) -> None:
        self.event, self.limits, self.read_file = event, limits, read_file
        self.session = session
        self.source, self.tool = event.source.tool, event.action.raw_tool_name
        self.out = Expansion()
        self.cwd = _working_dir(event)
        self.cwd_and_parents = lineage(self.cwd, self.limits.home)

    def path(self, path: str) -> str:
        return absolute(path, self.cwd, self.limits.home)

    def run(self) -> Expansion:
        action, out = self.event.action, self.out
        kind, path = action.action_type, self.path(action.file_path or "")
        if kind in _COMMAND_ACTIONS:
            self.command(action.command or action.raw_tool_name, "tool", 0)
            if action.extra.get("unknown_tool") is True:
                self.unknown_arguments(action.command or "")
        elif kind in {"file_write", "file_read"}:
            for found in _with_matches([path, *self.more_paths(path)]):
                facts = file_facts(self.source, "tool", found, "", action.command or "")
                out.add(kind, self.tool, facts)
            if kind == "file_write" and action.file_content:
                # A file written where anyone can write is as good as a script the agent will
                # run next (``bash /tmp/x``): it is read as one, whatever its name.
                temporary = path.startswith(_TEMP_DIRS) and not path.endswith(_DOCUMENTS)
                self.content(path, action.file_content, executed=temporary, depth=0)
        elif kind == "web_request":
            urls = [action.url or "", *_lines(action.extra.get("urls"))]
            for url in dict.fromkeys(urls):
                out.add(kind, self.tool, web_facts(self.source, url))
        elif kind == "mcp_tool":
            out.add(kind, self.tool, mcp_facts(self.source, self.event, self.limits.mcp_allowed))
            self.mcp_arguments()
        else:
            facts = _agent_facts(self.source, self.event, self.limits, self.session)
            out.add(kind, self.tool, facts)
        if action.script_content and kind != "file_write":
            self.content(path or "script", action.script_content, executed=True, depth=0)
        return out

    def in_working_dir(self, path: str) -> bool:
        """Whether ``path`` is inside the call's working directory (a project kept in /tmp)."""
        here = self.cwd_and_parents[0] if self.cwd_and_parents else ""
        return bool(here) and here != "/" and path.startswith(here.rstrip("/") + "/")

    def unknown_arguments(self, command: str) -> None:
        """A tool nobody mapped is evaluated as its name and its strings; each string that
        reads as a command line (``{"script": "rm -rf /"}``) is evaluated as one too."""
        if len(command) > _UNKNOWN_TOOL_TEXT:
            self.out.incomplete = True
            self.out.notes.append("an unknown tool's arguments were too long to inspect")
            return
        try:
            words = shlex.split(command)[1:]
        except ValueError:
            words = command.split()[1:]
        for word in dict.fromkeys(words[:_UNKNOWN_TOOL_STRINGS]):
            if any(char.isspace() for char in word):
                self.command(word, "tool", 0)

    def mcp_arguments(self) -> None:
        """The files, command line and URLs an MCP call's arguments name, judged as the
        agent's own file, shell and web tools would be, with ``origin`` ``mcp``."""
        extra = self.event.action.extra
        kind = "file_write" if extra.get("mcp_writes") is True else "file_read"
        paths = [self.path(p) for p in _lines(extra.get("mcp_paths"))]
        for found in _with_matches(paths):
            self.out.add(kind, self.tool, file_facts(self.source, "mcp", found, "", ""))
        for line in _lines(extra.get("mcp_command")):
            self.command(line, "mcp", 0)
        for url in _lines(extra.get("mcp_urls")):
            self.out.add("web_request", self.tool, web_facts(self.source, url, origin="mcp"))

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
        windows = origin == "tool" and self.event.action.extra.get("shell") == "powershell"
        analysis = analyse(line, home=self.limits.home or None, windows=windows)
        branch = self.event.context.branch
        shared = _LineFacts(
            raw_folded=_WHITESPACE.sub(" ", analysis.raw.lower()).strip(),
            cwd_and_parents=self.cwd_and_parents,
            assigned=_assigned_urls(analysis.raw),
        )
        for simple in analysis.commands or (_raw_command(analysis),):
            # A reader or writer is still a command; its paths get requests of their own.
            kind = "shell_command" if simple.action_type in _FILE_ACTIONS else simple.action_type
            facts = command_facts(self.source, origin, analysis, simple, branch)
            facts.update(self.line_facts(simple, shared))
            self.out.add(kind, self.tool, facts)
            for action, paths in (
                ("file_read", simple.read_paths),
                ("file_write", simple.write_paths),
            ):
                for found in _with_matches([self.path(p) for p in paths]):
                    facts = file_facts(self.source, origin, found, simple.program, line)
                    self.out.add(action, self.tool, facts)
            if simple.script_path and depth < _MAX_SCRIPT_DEPTH:
                self.script(self.path(simple.script_path), depth)

    def script(self, script: str, depth: int) -> None:
        """Inspect a script the command runs; one that cannot be read, in a directory
        anyone can write to, is a file the agent may have just written: escalate."""
        read = self.read_file
        content = read(expand_home(script, self.limits.home)) if read is not None else None
        if content is not None:
            self.content(script, content, executed=True, depth=depth + 1)
        elif script.startswith(_TEMP_DIRS) and not self.in_working_dir(script):
            self.out.incomplete = True
            self.out.notes.append(
                f"it runs {script}, a file in a temporary directory whose content could not "
                "be inspected"
            )

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
        if is_windows(arg) or "\\" in arg:
            return windows_path(arg)
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


def _with_matches(paths: list[str]) -> list[str]:
    """``paths``, each glob followed by the protected files it could open."""
    out: list[str] = []
    for path in paths:
        out.append(path)
        out.extend(sensitive_matches(path))
    return list(dict.fromkeys(out))


def _lines(value: object) -> list[str]:
    return [v for v in value.splitlines() if v.strip()] if isinstance(value, str) else []


def _working_dir(event: Event) -> str:
    """The directory a call runs in: the payload's cwd, moved by a tool's own directory."""
    cwd = event.context.cwd
    extra = event.action.extra
    for key in ("dir_path", "workdir"):
        value = extra.get(key)
        if isinstance(value, str) and value:
            if value.startswith(("/", "~")) or is_windows(value) or not cwd:
                return value
            return posixpath.join(cwd, value)
    return cwd


def _raw_command(analysis: ShellAnalysis) -> SimpleCommand:
    # Nothing parsed (blank, or a comment): still evaluate the raw text, conservatively.
    return SimpleCommand(program="", text=analysis.raw)


def _agent_facts(
    source: str, event: Event, limits: Limits, session: SessionCounts | None
) -> dict[str, object]:
    extra = event.action.extra
    turns = extra.get("max_turns", 0)
    return {
        "source": source,
        "subagent_type": str(extra.get("subagent_type", "")),
        "permission_mode": str(extra.get("permission_mode", "")),
        "max_turns": turns if isinstance(turns, int) and not isinstance(turns, bool) else 0,
        "excessive_turns_threshold": limits.excessive_turns_threshold,
        "session": session_facts(
            session,
            spawn_limit=limits.session_spawn_limit,
            message_limit=limits.session_message_limit,
        ),
    }
