"""Govern the tool calls of a LangChain agent (``langchain.agents.create_agent``).

``create_agent`` builds a LangGraph agent whose middleware can wrap each tool call
(``AgentMiddleware.wrap_tool_call`` / ``awrap_tool_call``); this one puts the same
:class:`~vectimus.integrations.langgraph.guard.ToolGuard` in front of every tool.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from langchain.agents.middleware import AgentMiddleware, AgentState
from langgraph.prebuilt.tool_node import ToolCallRequest

from vectimus.integrations.core import Governor

from .guard import Result, ToolGuard


class VectimusMiddleware(AgentMiddleware[AgentState[Any], Any, Any]):
    """``create_agent(model, tools, middleware=[VectimusMiddleware()])``."""

    def __init__(
        self, governor: Governor | None = None, *, agent_name: str = "", **governor_options: Any
    ) -> None:
        super().__init__()
        self.guard = ToolGuard(governor, agent_name=agent_name, **governor_options)

    @property
    def governor(self) -> Governor:
        return self.guard.governor

    def wrap_tool_call(
        self, request: ToolCallRequest, handler: Callable[[ToolCallRequest], Result]
    ) -> Result:
        return self.guard.wrap(request, handler)

    async def awrap_tool_call(
        self, request: ToolCallRequest, handler: Callable[[ToolCallRequest], Awaitable[Result]]
    ) -> Result:
        return await self.guard.awrap(request, handler)
