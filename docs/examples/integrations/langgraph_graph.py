"""A LangGraph agent whose every tool call is decided by Vectimus before the tool runs."""

from __future__ import annotations

from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import HumanMessage
from langchain_core.tools import tool
from langgraph.graph import START, MessagesState, StateGraph
from langgraph.graph.state import CompiledStateGraph
from langgraph.prebuilt import tools_condition

from vectimus.integrations.langgraph import ToolGuard


@tool
def terminal(command: str) -> str:
    """Run a shell command."""
    return f"ran: {command}"  # a stand-in: your tool runs the command


@tool
def get_weather(city: str) -> str:
    """The weather in a city."""
    return f"Sunny in {city}"


def build_graph(model: BaseChatModel) -> CompiledStateGraph[Any, Any, Any, Any]:
    tools = [terminal, get_weather]
    guard = ToolGuard(agent_name="ops")  # local policies, or VECTIMUS_SERVER_URL's gateway
    llm = model.bind_tools(tools)

    def agent(state: MessagesState) -> dict[str, Any]:
        return {"messages": [llm.invoke(state["messages"])]}

    builder = StateGraph(MessagesState)
    builder.add_node("agent", agent)
    builder.add_node("tools", guard.tool_node(tools))  # ToolNode(tools, wrap_tool_call=...)
    builder.add_edge(START, "agent")
    builder.add_conditional_edges("agent", tools_condition)
    builder.add_edge("tools", "agent")
    return builder.compile()


if __name__ == "__main__":
    from langchain.chat_models import init_chat_model

    graph = build_graph(init_chat_model("anthropic:claude-sonnet-4-5"))
    result = graph.invoke({"messages": [HumanMessage("Free some disk space, then: Paris?")]})
    print(result["messages"][-1].text)
