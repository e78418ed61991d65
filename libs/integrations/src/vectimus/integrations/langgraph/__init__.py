"""Vectimus for LangGraph and LangChain (``pip install 'vectimus[langgraph]'``).

- :class:`ToolGuard` / :func:`governed_tool_node`: a ``ToolNode`` whose every call is decided
  before the tool runs (``wrap_tool_call``).
- :class:`VectimusMiddleware`: the same for ``langchain.agents.create_agent``.
- :class:`MCPInterceptor`: MCP tools loaded through langchain-mcp-adapters, checked as MCP
  calls of their server (the allowlist and the MCP rules).

A stopped call is answered with a ``ToolMessage`` holding the reason and the suggested
alternative, so the agent can change course.
"""

from .guard import ToolGuard, blocked_message, governed_tool_node
from .mcp import MCPInterceptor
from .middleware import VectimusMiddleware

__all__ = [
    "MCPInterceptor",
    "ToolGuard",
    "VectimusMiddleware",
    "blocked_message",
    "governed_tool_node",
]
