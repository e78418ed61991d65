"""One ADK agent governed by a before-tool callback, for agents run without plugins."""

from __future__ import annotations

from typing import Any

from google.adk.agents import LlmAgent
from google.adk.models.base_llm import BaseLlm

from vectimus.integrations.adk import before_tool_callback


def bash(command: str) -> dict[str, Any]:
    """Run a shell command."""
    return {"output": f"ran: {command}"}  # a stand-in: your tool runs the command


def get_weather(city: str) -> dict[str, Any]:
    """The weather in a city."""
    return {"forecast": f"Sunny in {city}"}


def build_agent(model: str | BaseLlm = "gemini-2.5-flash") -> LlmAgent:
    return LlmAgent(
        name="ops",
        model=model,
        tools=[bash, get_weather],
        before_tool_callback=before_tool_callback(),
    )
