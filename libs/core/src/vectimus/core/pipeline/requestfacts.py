"""The facts of one request, per action type, as the Cedar schema names them.

Plain functions of what shell analysis and the normaliser found: one dict per request, every
attribute present (docs/policies.md describes each).
"""

from __future__ import annotations

from urllib.parse import urlsplit

from vectimus.core.events import Event
from vectimus.core.pipeline import hosts
from vectimus.core.shell.facts import ShellAnalysis, SimpleCommand
from vectimus.core.shell.lookalike import fold


def command_facts(
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


def file_facts(source: str, origin: str, path: str, program: str, raw: str) -> dict[str, object]:
    return {
        "source": source,
        "origin": origin,
        "file_path": path,
        "path_folded": path.lower().replace("\\", "/"),
        "program": program,
        "raw_command": raw,
    }


def mcp_facts(source: str, event: Event, allowed: frozenset[str]) -> dict[str, object]:
    server = event.action.mcp_server or ""
    return {
        "source": source,
        "mcp_server": server,
        "mcp_tool": event.action.mcp_tool or "",
        "mcp_tool_folded": _fold_tool(event.action.mcp_tool or ""),
        "mcp_server_allowed": server in allowed,
    }


_TOOL_SEPARATORS = str.maketrans("", "", "_-. ")


def _fold_tool(name: str) -> str:
    """``Execute_Command``, ``execute-command`` and ``executeCommand`` all read
    ``executecommand``: MCP servers spell tool names as they like."""
    return fold(name).casefold().translate(_TOOL_SEPARATORS)


def web_facts(source: str, url: str, *, origin: str = "tool") -> dict[str, object]:
    try:
        scheme = urlsplit(url.strip()).scheme.lower()
    except ValueError:
        scheme = ""
    host = hosts.url_host(url)
    return {
        "source": source,
        "origin": origin,
        "url": url,
        "url_scheme": scheme,
        "url_host": host,
        "url_domains": hosts.domains([host]),
        "url_internal": hosts.is_internal(host),
    }
