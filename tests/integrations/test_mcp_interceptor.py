"""MCP tools made by the real langchain-mcp-adapters from a fake MCP session: each call goes
through the interceptor, is evaluated as an mcp_tool of its server, and is stopped unless the
server is on the allowlist."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from langchain_core.messages import AIMessage, HumanMessage, ToolMessage
from langchain_mcp_adapters.interceptors import MCPToolCallRequest
from langchain_mcp_adapters.tools import convert_mcp_tool_to_langchain_tool
from langgraph.graph import START, MessagesState, StateGraph
from langgraph.prebuilt import ToolNode, tools_condition
from mcp.types import CallToolResult, TextContent
from mcp.types import Tool as McpToolSpec

from vectimus.integrations import Governor
from vectimus.integrations.langgraph import MCPInterceptor

from .conftest import read_trail
from .fakes import ScriptedChatModel


class FakeSession:
    """Shaped like mcp.ClientSession where the adapter uses it: ``call_tool``."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []

    async def call_tool(
        self, name: str, arguments: dict[str, Any] | None = None, **_: Any
    ) -> CallToolResult:
        self.calls.append((name, dict(arguments or {})))
        return CallToolResult(content=[TextContent(type="text", text=f"{name}: done")])


ISSUE_TOOL = McpToolSpec(
    name="create_issue",
    description="Open an issue.",
    inputSchema={"type": "object", "properties": {"title": {"type": "string"}}},
)


def run_agent(interceptor: MCPInterceptor, session: FakeSession) -> tuple[ScriptedChatModel, Any]:
    tool = convert_mcp_tool_to_langchain_tool(
        session,
        ISSUE_TOOL,
        tool_interceptors=[interceptor],
        server_name="github",
    )
    model = ScriptedChatModel(
        script=[
            AIMessage(
                content="",
                tool_calls=[{"name": "create_issue", "args": {"title": "bug"}, "id": "c1"}],
            ),
            AIMessage(content="ok"),
        ]
    )

    async def agent(state: MessagesState) -> dict[str, Any]:
        return {"messages": [await model.ainvoke(state["messages"])]}

    builder = StateGraph(MessagesState)
    builder.add_node("agent", agent)
    builder.add_node("tools", ToolNode([tool]))
    builder.add_edge(START, "agent")
    builder.add_conditional_edges("agent", tools_condition)
    builder.add_edge("tools", "agent")
    return model, builder.compile()


async def test_server_not_on_the_allowlist_is_stopped(project: Path) -> None:
    session, interceptor = FakeSession(), MCPInterceptor(server_url="")
    model, graph = run_agent(interceptor, session)
    await graph.ainvoke({"messages": [HumanMessage("file a bug")]})
    assert session.calls == []
    result = next(m for m in model.seen[1] if isinstance(m, ToolMessage))
    assert result.status == "error"
    assert "vectimus-mcp-001" in result.text
    assert interceptor.governor.flush(10)
    (record,) = read_trail(project).records.values()
    action = record.event.action
    assert (action.action_type, action.mcp_server, action.mcp_tool) == (
        "mcp_tool",
        "github",
        "create_issue",
    )
    assert record.decision.decision != "allow"


async def test_allowed_server_is_called(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VECTIMUS_MCP_ALLOWED", "github")
    session, interceptor = FakeSession(), MCPInterceptor(server_url="")
    model, graph = run_agent(interceptor, session)
    await graph.ainvoke({"messages": [HumanMessage("file a bug")]})
    assert session.calls == [("create_issue", {"title": "bug"})]
    result = next(m for m in model.seen[1] if isinstance(m, ToolMessage))
    assert result.status == "success" and "create_issue: done" in result.text
    assert interceptor.governor.flush(10)
    (record,) = read_trail(project).records.values()
    assert record.decision.decision == "allow"


async def test_interceptor_alone_with_the_adapter_request(project: Path) -> None:
    """The interceptor against the adapter's own request type and a handler of our own."""
    interceptor = MCPInterceptor(Governor("langgraph", server_url="", record=False))
    called: list[MCPToolCallRequest] = []

    async def handler(request: MCPToolCallRequest) -> CallToolResult:
        called.append(request)
        return CallToolResult(content=[TextContent(type="text", text="ran")])

    request = MCPToolCallRequest(name="delete_repo", args={"repo": "x"}, server_name="github")
    result = await interceptor(request, handler)
    assert called == [] and result.isError
    assert "vectimus-mcp-001" in result.content[0].text
