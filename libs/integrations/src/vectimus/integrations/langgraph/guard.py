"""Govern every tool call of a LangGraph ``ToolNode`` before the tool runs.

LangGraph's ``ToolNode`` takes ``wrap_tool_call`` / ``awrap_tool_call``: a function given the
``ToolCallRequest`` and the callable that executes it. :class:`ToolGuard` is that function. An
allowed call goes on to the tool; a denied or escalated one never reaches it, and the agent
gets a ``ToolMessage`` (``status="error"``) carrying the reason and the suggested
alternative, so the model can change course.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from importlib import metadata
from typing import Any

from langchain_core.messages import ToolMessage
from langchain_core.messages.tool import ToolCall
from langchain_core.tools import BaseTool
from langgraph.prebuilt import ToolNode
from langgraph.prebuilt.tool_node import ToolCallRequest
from langgraph.types import Command

from vectimus.core.normalise.frameworks import LANGGRAPH
from vectimus.integrations.core import Check, Governor

Result = ToolMessage | Command[Any]


def framework_version() -> str:
    try:
        return metadata.version("langgraph")
    except metadata.PackageNotFoundError:
        return ""


def thread_id(runtime: object) -> str:
    """The LangGraph thread id of a tool call's runtime, when it runs in a graph with one."""
    config = getattr(runtime, "config", None)
    configurable = config.get("configurable") if isinstance(config, dict) else None
    value = configurable.get("thread_id") if isinstance(configurable, dict) else None
    return str(value) if value is not None else ""


def blocked_message(check: Check, call: ToolCall) -> ToolMessage:
    """The tool result the agent receives for a call Vectimus stopped."""
    return ToolMessage(
        content=check.message,
        tool_call_id=call.get("id") or "",
        name=call["name"],
        status="error",
        artifact={"vectimus": check.as_dict()},
    )


class ToolGuard:
    """``wrap_tool_call`` / ``awrap_tool_call`` for a ``ToolNode``.

    ``ToolGuard()`` decides locally with the configured policies (and through a gateway when
    VECTIMUS_SERVER_URL is set); pass a :class:`Governor` to share one, or keyword arguments
    to configure a new one. ``agent_name`` is recorded with each call.
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

    def check(self, request: ToolCallRequest) -> Check:
        call = request.tool_call
        return self.governor.check(
            call["name"],
            call.get("args", {}),
            session_id=thread_id(request.runtime),
            agent_name=self.agent_name,
        )

    def wrap(
        self, request: ToolCallRequest, execute: Callable[[ToolCallRequest], Result]
    ) -> Result:
        check = self.check(request)
        if check.allowed:
            return execute(request)
        return blocked_message(check, request.tool_call)

    async def awrap(
        self, request: ToolCallRequest, execute: Callable[[ToolCallRequest], Awaitable[Result]]
    ) -> Result:
        call = request.tool_call
        check = await self.governor.acheck(
            call["name"],
            call.get("args", {}),
            session_id=thread_id(request.runtime),
            agent_name=self.agent_name,
        )
        if check.allowed:
            return await execute(request)
        return blocked_message(check, call)

    def tool_node(self, tools: Sequence[BaseTool | Callable[..., Any]], **options: Any) -> ToolNode:
        """A ``ToolNode`` over ``tools`` with this guard in front of every call."""
        return ToolNode(tools, wrap_tool_call=self.wrap, awrap_tool_call=self.awrap, **options)


def governed_tool_node(
    tools: Sequence[BaseTool | Callable[..., Any]],
    *,
    governor: Governor | None = None,
    agent_name: str = "",
    **options: Any,
) -> ToolNode:
    """``ToolNode(tools, **options)`` with every call governed by Vectimus."""
    return ToolGuard(governor, agent_name=agent_name).tool_node(tools, **options)
