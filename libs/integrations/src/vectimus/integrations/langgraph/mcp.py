"""Govern MCP tools loaded through langchain-mcp-adapters.

``MultiServerMCPClient(connections, tool_interceptors=[...])`` (and ``load_mcp_tools``) run
each MCP tool call through its interceptors, with the server's name in the request. That is
what an MCP rule needs and a generic tool wrapper cannot see: the call is evaluated as an
``mcp_tool`` of that server, so the MCP allowlist (``[mcp] allowed_servers``) and every MCP
rule apply. A stopped call never reaches the server; the agent gets an MCP error result
carrying the reason, which the adapter turns into a ``ToolMessage`` with ``status="error"``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from vectimus.core.normalise.frameworks import LANGGRAPH
from vectimus.integrations.core import Check, Governor

from .guard import framework_version, thread_id


def blocked_result(check: Check) -> Any:
    """An MCP ``CallToolResult`` with ``isError`` set, carrying the reason to the agent."""
    from mcp.types import CallToolResult, TextContent  # noqa: PLC0415 - only with the adapters

    return CallToolResult(content=[TextContent(type="text", text=check.message)], isError=True)


class MCPInterceptor:
    """A ``ToolCallInterceptor`` for langchain-mcp-adapters.

    It reads ``name``, ``args``, ``server_name`` and ``runtime`` from the adapter's
    ``MCPToolCallRequest``. Name servers in the client's connections as they are named in
    ``[mcp] allowed_servers``; ``load_mcp_tools`` without ``server_name`` reports the server
    as ``unknown``, which is on no allowlist.
    """

    def __init__(
        self, governor: Governor | None = None, *, agent_name: str = "", **governor_options: Any
    ) -> None:
        if governor is None:
            governor_options.setdefault("version", framework_version())
            governor = Governor(LANGGRAPH, **governor_options)
        elif governor_options:
            raise TypeError("pass either a Governor or options for a new one, not both")
        self.governor = governor
        self.agent_name = agent_name

    async def check(self, request: Any) -> Check:
        return await self.governor.acheck(
            request.name,
            request.args,
            mcp_server=request.server_name,
            mcp_tool=request.name,
            session_id=thread_id(getattr(request, "runtime", None)),
            agent_name=self.agent_name,
        )

    async def __call__(self, request: Any, handler: Callable[[Any], Awaitable[Any]]) -> Any:
        check = await self.check(request)
        if check.allowed:
            return await handler(request)
        return blocked_result(check)
