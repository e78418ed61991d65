"""LangGraph and LangChain agents, real packages, scripted model: `rm -rf /` is stopped, the
reason reaches the agent as the tool result, the harmless tool runs, and both are in the trail."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from langchain.agents import create_agent
from langchain_core.messages import AIMessage, HumanMessage, ToolMessage
from langchain_core.tools import tool
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.graph import START, MessagesState, StateGraph
from langgraph.prebuilt import tools_condition

from vectimus.integrations import Governor
from vectimus.integrations.langgraph import ToolGuard, VectimusMiddleware, governed_tool_node

from .conftest import read_trail
from .fakes import ScriptedChatModel, rm_then_weather


class Tools:
    """A shell tool and a weather tool that remember every call that reached them."""

    def __init__(self) -> None:
        self.ran: list[tuple[str, dict[str, Any]]] = []

        @tool
        def terminal(command: str) -> str:
            """Run a shell command."""
            self.ran.append(("terminal", {"command": command}))
            return "ran it"

        @tool
        def get_weather(city: str) -> str:
            """The weather in a city."""
            self.ran.append(("get_weather", {"city": city}))
            return f"Sunny in {city}"

        self.all = [terminal, get_weather]


def graph_of(model: ScriptedChatModel, tools: Tools, guard: ToolGuard) -> Any:
    """The classic agent loop: model node, governed ToolNode, back to the model."""

    def agent(state: MessagesState) -> dict[str, Any]:
        return {"messages": [model.invoke(state["messages"])]}

    builder = StateGraph(MessagesState)
    builder.add_node("agent", agent)
    builder.add_node("tools", guard.tool_node(tools.all))
    builder.add_edge(START, "agent")
    builder.add_conditional_edges("agent", tools_condition)
    builder.add_edge("tools", "agent")
    return builder.compile(checkpointer=InMemorySaver())


def tool_results(model: ScriptedChatModel) -> dict[str, ToolMessage]:
    """The ToolMessages the model was given on its second turn, by tool call id."""
    assert len(model.seen) == 2
    return {m.tool_call_id: m for m in model.seen[1] if isinstance(m, ToolMessage)}


def assert_blocked_and_ran(model: ScriptedChatModel, tools: Tools) -> tuple[str, str]:
    """rm -rf / never ran and its result names the rule and the alternative; the other ran."""
    assert tools.ran == [("get_weather", {"city": "Paris"})]
    results = tool_results(model)
    blocked, ran = results["call_rm"], results["call_wx"]
    assert blocked.status == "error"
    assert "vectimus-destructive-001" in blocked.text
    assert "Instead:" in blocked.text
    assert ran.status == "success" and ran.text == "Sunny in Paris"
    verdict = blocked.artifact["vectimus"]
    assert verdict["decision"] == "deny"
    assert verdict["suggested_alternative"] in blocked.text
    return verdict["receipt_id"], blocked.text


def assert_trail(project: Path, denied_id: str, *, thread: str = "", agent: str = "") -> None:
    trail = read_trail(project)
    assert len(trail.receipts) == 2 and len(trail.records) == 2
    assert trail.receipts[denied_id].decision == "deny"
    assert "vectimus-destructive-001" in trail.receipts[denied_id].matched_policy_ids
    allowed = next(r for r in trail.receipts.values() if r.receipt_id != denied_id)
    assert allowed.decision == "allow"
    for receipt in trail.receipts.values():
        assert receipt.source == "langgraph"
    denied = trail.records[denied_id].event
    assert denied.action.raw_tool_name == "terminal"
    assert denied.action.command == "rm -rf /"
    assert denied.identity.identity_type == "agent"
    assert denied.source.session_id == thread
    if agent:
        assert denied.action.extra["agent_name"] == agent
    weather = trail.records[allowed.receipt_id].event.action
    assert weather.raw_tool_name == "get_weather"
    assert weather.command == "get_weather Paris"  # an unknown tool, evaluated as a command


def test_tool_node_guard_in_a_state_graph(project: Path) -> None:
    model, tools = rm_then_weather(), Tools()
    guard = ToolGuard(agent_name="ops", server_url="")
    graph = graph_of(model, tools, guard)
    config = {"configurable": {"thread_id": "thread-7"}}
    final = graph.invoke({"messages": [HumanMessage("clean up, then weather")]}, config)
    assert final["messages"][-1].text == "The cleanup was refused; Paris is sunny."
    denied_id, _ = assert_blocked_and_ran(model, tools)
    assert guard.governor.flush(10)
    assert_trail(project, denied_id, thread="thread-7", agent="ops")


async def test_tool_node_guard_async(project: Path) -> None:
    model, tools = rm_then_weather(), Tools()
    graph = graph_of(model, tools, ToolGuard(Governor("langgraph", server_url="")))
    config = {"configurable": {"thread_id": "thread-8"}}
    await graph.ainvoke({"messages": [HumanMessage("go")]}, config)
    assert_blocked_and_ran(model, tools)


@pytest.mark.parametrize("mode", ["sync", "async"])
async def test_create_agent_with_middleware(project: Path, mode: str) -> None:
    model, tools = rm_then_weather(), Tools()
    middleware = VectimusMiddleware(server_url="")
    agent = create_agent(model, tools=tools.all, middleware=[middleware])
    state = {"messages": [HumanMessage("clean up, then weather")]}
    if mode == "sync":
        agent.invoke(state)
    else:
        await agent.ainvoke(state)
    denied_id, _ = assert_blocked_and_ran(model, tools)
    assert middleware.governor.flush(10)
    assert_trail(project, denied_id)


def test_governed_tool_node_shares_a_governor(project: Path) -> None:
    governor = Governor("langgraph", server_url="")
    node = governed_tool_node(Tools().all, governor=governor)
    assert node.name == "tools"
    with pytest.raises(TypeError):
        ToolGuard(governor, server_url="")


def test_harmless_shell_command_runs(project: Path) -> None:
    tools = Tools()
    call = {"name": "terminal", "args": {"command": "git status"}, "id": "c1"}
    model = ScriptedChatModel(script=[AIMessage(content="", tool_calls=[call])])
    graph = graph_of(model, tools, ToolGuard(server_url="", record=False))
    graph.invoke({"messages": [HumanMessage("status?")]}, {"configurable": {"thread_id": "t"}})
    assert tools.ran == [("terminal", {"command": "git status"})]
