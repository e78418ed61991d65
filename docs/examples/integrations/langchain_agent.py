"""A LangChain agent (create_agent) with the Vectimus middleware in front of its tools."""

from __future__ import annotations

from typing import Any

from langchain.agents import create_agent
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import HumanMessage
from langchain_core.tools import tool

from vectimus.integrations.langgraph import VectimusMiddleware


@tool
def terminal(command: str) -> str:
    """Run a shell command."""
    return f"ran: {command}"  # a stand-in: your tool runs the command


@tool
def get_weather(city: str) -> str:
    """The weather in a city."""
    return f"Sunny in {city}"


def build_agent(model: BaseChatModel | str) -> Any:
    return create_agent(
        model,
        tools=[terminal, get_weather],
        middleware=[VectimusMiddleware(agent_name="ops")],
    )


if __name__ == "__main__":
    agent = build_agent("anthropic:claude-sonnet-4-5")
    result = agent.invoke({"messages": [HumanMessage("Free some disk space, then: Paris?")]})
    print(result["messages"][-1].text)
