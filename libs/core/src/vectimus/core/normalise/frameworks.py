"""Tool calls from agent frameworks (LangGraph / LangChain, Google ADK) → Event.

These frameworks have no hook protocol and no fixed tool set: an application defines its own
tools. So a call is mapped by its name when the name is a well-known one (the ADK built-ins,
the LangChain community tools, the names the Vectimus docs ask people to use), then by its
arguments (a ``command``, a ``url``, a path with content), and otherwise evaluated as a
command made of its name and its strings, as every other source does with an unknown tool.

- bash, shell, terminal, execute_bash, run_shell_command … → shell_command;
- python_repl and friends → shell_command ``python3 -c CODE``, so code is inspected too;
- file_write, write_file, edit_file, delete_file … → file_write; file_read, read_file,
  list_directory, file_search … → file_read;
- google_search, web_search … → web_request (a search); fetch, load_web_page … →
  web_request (a fetch);
- ``mcp__server__tool`` and ``server__tool`` → mcp_tool, and so is any call whose MCP server
  the integration knows (the langchain-mcp-adapters interceptor, an ADK McpTool).

The in-process integrations (``vectimus.integrations``) build Events with
:func:`framework_event` directly. A gateway gets the same call as a payload, decoded by
:func:`normalise_langgraph` / :func:`normalise_adk` with the same table::

    {"tool_name": str, "tool_input": object, "mcp_server": str, "mcp_tool": str,
     "session_id": str, "cwd": str, "agent_name": str, "version": str}

Only ``tool_name`` is required.
"""

from __future__ import annotations

import shlex
from typing import Final

from vectimus.core.errors import PayloadError
from vectimus.core.events import Action, Context, Event, Identity, Source

from ._event import PRINCIPAL_KEYS, SESSION_KEYS, VERSION_KEYS
from ._fields import JsonObject, flatten_strings, get_list, get_text, require_object, text, texts
from ._tools import (
    CONTENT_KEYS,
    DIR_KEYS,
    PATH_KEYS,
    URL_KEYS,
    Call,
    ToolTable,
    file_delete,
    file_read,
    file_write,
    make,
    mcp,
    search,
    shell,
    split_double_underscore,
    split_mcp_name,
    unknown_tool,
    web_fetch,
    web_search,
)
from .gemini_cli import first_url

LANGGRAPH: Final = "langgraph"
GOOGLE_ADK: Final = "google-adk"

_PATHS: Final = (*PATH_KEYS, "filename", "file", "file_name")
_CONTENT: Final = (*CONTENT_KEYS, "text", "data", "body")
_DESTINATIONS: Final = ("destination_path", "destination", "dest", "target_path", "new_path")
_COMMANDS: Final = ("command", "cmd", "script", "shell_command", "bash_command")
_CODE: Final = ("code", "query", "script", "command", "source", "input")

_run_shell = shell(*_COMMANDS, "commands")
_write = file_write(_PATHS, _CONTENT)
_fetch = web_fetch(URL_KEYS)


def _shell(call: Call) -> Action:
    """A shell tool; LangChain's ShellTool sends ``commands`` as a list of whole commands."""
    commands = get_list(call.args, "commands")
    if commands is not None and get_text(call.args, *_COMMANDS) is None:
        lines = texts(commands)
        if lines:
            return make("shell_command", call, command="\n".join(lines))
    return _run_shell(call)


def _python(call: Call) -> Action:
    """A Python REPL tool: the code as ``python3 -c``, so shell analysis inspects it."""
    code = get_text(call.args, *_CODE) or text(call.raw_args)
    if code is None:
        return unknown_tool(call)
    command = shlex.join(["python3", "-c", code])
    return make("shell_command", call, command=command, extra={"language": "python"})


def _move(call: Call) -> Action:
    """A move or copy: a write to the destination, with the source named."""
    destination = get_text(call.args, *_DESTINATIONS)
    source = get_text(call.args, "source_path", "source", "src", *_PATHS)
    extra = {"source_path": source, "operation": call.name.casefold()}
    return make("file_write", call, file_path=destination or source, extra=extra)


def _fetch_any(call: Call) -> Action:
    """A fetch; with no URL argument, the first URL in any of its strings."""
    action = _fetch(call)
    if action.url:
        return action
    for value in flatten_strings(call.raw_args, max_nodes=1000)[0]:
        url = first_url(value)
        if url:
            return make("web_request", call, url=url, extra=action.extra)
    return action


_SHELL_NAMES: Final = (
    "bash", "shell", "terminal", "sh", "zsh", "run_shell_command", "shell_command",
    "run_command", "execute_command", "exec_command", "execute_bash", "run_bash",
    "run_terminal_command", "terminal_command", "shell_exec", "exec",
)  # fmt: skip
_PYTHON_NAMES: Final = (
    "python_repl", "python_repl_ast", "python", "run_python", "execute_python",
    "run_python_code", "execute_code", "code_interpreter",
)  # fmt: skip
_WRITE_NAMES: Final = (
    "file_write", "write_file", "create_file", "save_file", "append_file", "append_to_file",
    "edit_file", "replace", "replace_in_file", "str_replace", "update_file",
)  # fmt: skip
_DELETE_NAMES: Final = ("file_delete", "delete_file", "remove_file")
_MOVE_NAMES: Final = ("move_file", "copy_file", "rename_file")
_READ_NAMES: Final = ("file_read", "read_file", "open_file", "view_file", "cat_file")
_LIST_NAMES: Final = ("list_directory", "list_dir", "ls", "list_files")
_SEARCH_NAMES: Final = ("file_search", "grep", "grep_search", "search_files", "find_files")
_WEB_SEARCH_NAMES: Final = (
    "google_search", "web_search", "google_web_search", "search_web", "internet_search",
    "tavily_search", "tavily_search_results_json", "duckduckgo_search",
    "duckduckgo_results_json", "brave_search", "bing_search", "vertex_ai_search",
)  # fmt: skip
_FETCH_NAMES: Final = (
    "fetch", "web_fetch", "fetch_url", "fetch_webpage", "load_web_page", "url_context",
    "http_get", "http_request", "requests_get", "requests_post", "requests_put",
    "requests_patch", "requests_delete", "browse", "browse_url", "open_url", "scrape_url",
)  # fmt: skip

TOOLS: Final = ToolTable(
    {
        **dict.fromkeys(_SHELL_NAMES, _shell),
        **dict.fromkeys(_PYTHON_NAMES, _python),
        **dict.fromkeys(_WRITE_NAMES, _write),
        **dict.fromkeys(_DELETE_NAMES, file_delete(_PATHS)),
        **dict.fromkeys(_MOVE_NAMES, _move),
        **dict.fromkeys(_READ_NAMES, file_read(_PATHS)),
        **dict.fromkeys(_LIST_NAMES, search(DIR_KEYS, ())),
        **dict.fromkeys(_SEARCH_NAMES, search()),
        "glob": search(pattern_is_path=True),
        **dict.fromkeys(_WEB_SEARCH_NAMES, web_search()),
        **dict.fromkeys(_FETCH_NAMES, _fetch_any),
    }
)


def _by_arguments(call: Call) -> Action:
    """A tool the table does not name, mapped by the arguments it was given."""
    args = call.args
    if get_text(args, *_COMMANDS) is not None or get_list(args, "commands") is not None:
        action = _shell(call)
    elif get_text(args, *URL_KEYS) is not None:
        action = _fetch(call)
    elif get_text(args, *_PATHS) is not None and get_text(args, *_CONTENT) is not None:
        action = _write(call)
    else:
        return unknown_tool(call)
    action.extra["mapped_by_arguments"] = True
    return action


def _mcp_name(name: str) -> tuple[str, str] | None:
    """``mcp__server__tool`` or ``server__tool`` → (server, tool)."""
    named = split_mcp_name(name)
    if named is None and "__" in name.strip("_"):
        named = split_double_underscore(name)
    return named


def action_for(
    name: str,
    args: object,
    *,
    cwd: str = "",
    mcp_server: str | None = None,
    mcp_tool: str | None = None,
    payload: JsonObject | None = None,
) -> Action:
    """The Action of one framework tool call. ``mcp_server`` marks a known MCP tool."""
    call = Call.of(name, args, cwd=cwd, payload=payload if payload is not None else {})
    if mcp_server is not None:
        return mcp(mcp_server, mcp_tool or name, call)
    handler = TOOLS.get(name)
    if handler is not None:
        return handler(call)
    named = _mcp_name(name)
    if named is not None:
        return mcp(*named, call)
    return _by_arguments(call)


def framework_event(
    source: str,
    name: str,
    args: object,
    *,
    identity: Identity,
    cwd: str = "",
    session_id: str = "",
    version: str = "",
    agent_name: str = "",
    mcp_server: str | None = None,
    mcp_tool: str | None = None,
) -> Event:
    """The Event of one framework tool call, built without a payload."""
    action = action_for(name, args, cwd=cwd, mcp_server=mcp_server, mcp_tool=mcp_tool)
    if agent_name:
        action.extra["agent_name"] = agent_name
    return Event(
        source=Source(tool=source, version=version, session_id=session_id),
        identity=identity,
        action=action,
        context=Context(cwd=cwd),
    )


def _normalise(source: str, payload: object, identity: Identity | None) -> Event:
    obj = require_object(source, payload)
    name = text(obj.get("tool_name"))
    if not name:
        raise PayloadError(
            f"{source} payload has no tool_name", hint="expected {tool_name, tool_input}"
        )
    server = obj.get("mcp_server")
    if identity is None:
        identity = Identity(
            principal=get_text(obj, *PRINCIPAL_KEYS) or "unknown", identity_type="agent"
        )
    return framework_event(
        source,
        name,
        obj.get("tool_input"),
        identity=identity,
        cwd=get_text(obj, "cwd") or "",
        session_id=get_text(obj, *SESSION_KEYS) or "",
        version=get_text(obj, *VERSION_KEYS) or "",
        agent_name=get_text(obj, "agent_name", "agentName") or "",
        mcp_server=server if isinstance(server, str) else None,
        mcp_tool=get_text(obj, "mcp_tool"),
    )


def normalise_langgraph(payload: object, *, identity: Identity | None = None) -> Event:
    return _normalise(LANGGRAPH, payload, identity)


def normalise_adk(payload: object, *, identity: Identity | None = None) -> Event:
    return _normalise(GOOGLE_ADK, payload, identity)
