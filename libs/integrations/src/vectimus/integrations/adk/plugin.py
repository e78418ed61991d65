"""Govern the tool calls of Google ADK agents: a Runner plugin, or a before-tool callback.

ADK runs the plugins' ``before_tool_callback`` and then the agent's own before-tool callbacks
before every tool; the first that returns a dict answers the call in place of the tool. Both
forms here return, for a denied or escalated call, a dict carrying the reason and the
suggested alternative, so the model reads why and can change course; an allowed call returns
None and the tool runs.

Tool names are mapped by :mod:`vectimus.core.normalise.frameworks` (bash, shell, terminal and
execute_bash → shell_command; file_write, file_read; google_search, web_search and
load_web_page → web_request; ``server__tool`` → mcp_tool). An ``McpTool`` from an
``McpToolset`` with ``tool_name_prefix="server"`` is evaluated as tool of MCP server
``server``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from importlib import metadata
from typing import Any

from google.adk.plugins.base_plugin import BasePlugin
from google.adk.tools.base_tool import BaseTool
from google.adk.tools.tool_context import ToolContext

from vectimus.core.normalise.frameworks import GOOGLE_ADK
from vectimus.integrations.core import Check, Governor

BeforeToolCallback = Callable[
    [BaseTool, dict[str, Any], ToolContext], Awaitable[dict[str, Any] | None]
]


def framework_version() -> str:
    try:
        return metadata.version("google-adk")
    except metadata.PackageNotFoundError:
        return ""


def _governor(governor: Governor | None, options: dict[str, Any]) -> Governor:
    if governor is None:
        options.setdefault("version", framework_version())
        return Governor(GOOGLE_ADK, **options)
    if options:
        raise TypeError("pass either a Governor or options for a new one, not both")
    return governor


def mcp_identity(tool: BaseTool) -> tuple[str | None, str | None]:
    """(server, tool) of an ADK ``McpTool`` whose toolset prefixed its name; else (None, None).

    A toolset with ``tool_name_prefix="github"`` names its tools ``github_<tool>``; the raw
    MCP tool keeps its own name, so the prefix is what is left. An unprefixed McpTool names
    no server, and is mapped by its name like any other tool.
    """
    raw = getattr(tool, "raw_mcp_tool", None)
    raw_name = getattr(raw, "name", None)
    if not isinstance(raw_name, str) or not raw_name:
        return None, None
    suffix = "_" + raw_name
    if tool.name.endswith(suffix) and len(tool.name) > len(suffix):
        return tool.name[: -len(suffix)], raw_name
    return None, None


def _session_id(tool_context: ToolContext) -> str:
    try:
        return str(tool_context.session.id)
    except Exception:  # noqa: BLE001 - a context without a session still gets decided
        return ""


def _agent_name(tool_context: ToolContext) -> str:
    try:
        return str(tool_context.agent_name)
    except Exception:  # noqa: BLE001
        return ""


async def decide(
    governor: Governor, tool: BaseTool, args: dict[str, Any], tool_context: ToolContext
) -> Check:
    server, mcp_tool = mcp_identity(tool)
    return await governor.acheck(
        tool.name,
        args,
        mcp_server=server,
        mcp_tool=mcp_tool,
        session_id=_session_id(tool_context),
        agent_name=_agent_name(tool_context),
    )


def blocked_response(check: Check) -> dict[str, Any]:
    """The function response the model gets in place of a stopped tool's result."""
    decision = check.decision
    return {
        "error": check.message,
        "vectimus_decision": decision.decision,
        "suggested_alternative": decision.suggested_alternative,
        "matched_policy_ids": list(decision.matched_policy_ids),
        "receipt_id": decision.receipt_id,
    }


class VectimusPlugin(BasePlugin):
    """``Runner(..., plugins=[VectimusPlugin()])``: every tool of every agent is governed."""

    def __init__(
        self, governor: Governor | None = None, *, name: str = "vectimus", **governor_options: Any
    ) -> None:
        super().__init__(name=name)
        self.governor = _governor(governor, governor_options)

    async def before_tool_callback(
        self,
        *,
        tool: BaseTool,
        tool_args: dict[str, Any],
        tool_context: ToolContext,
    ) -> dict[str, Any] | None:
        check = await decide(self.governor, tool, tool_args, tool_context)
        return None if check.allowed else blocked_response(check)

    async def close(self) -> None:
        """The runner is closing: wait (off the event loop) for the trail to be written."""
        await _flush(self.governor)


async def _flush(governor: Governor) -> None:
    # Within the runner's default plugin_close_timeout (5 s).
    await asyncio.to_thread(governor.flush, 4.0)


def before_tool_callback(
    governor: Governor | None = None, **governor_options: Any
) -> BeforeToolCallback:
    """A callback for ``LlmAgent(before_tool_callback=...)``, for agents run without plugins."""
    chosen = _governor(governor, governor_options)

    async def vectimus_before_tool(
        tool: BaseTool, args: dict[str, Any], tool_context: ToolContext
    ) -> dict[str, Any] | None:
        check = await decide(chosen, tool, args, tool_context)
        return None if check.allowed else blocked_response(check)

    vectimus_before_tool.governor = chosen  # type: ignore[attr-defined]
    return vectimus_before_tool
