"""A Google ADK app whose runner governs every tool of every agent with the Vectimus plugin."""

from __future__ import annotations

from typing import Any

from google.adk.agents import LlmAgent
from google.adk.apps import App
from google.adk.models.base_llm import BaseLlm
from google.adk.runners import InMemoryRunner
from google.genai import types

from vectimus.integrations.adk import VectimusPlugin


def bash(command: str) -> dict[str, Any]:
    """Run a shell command."""
    return {"output": f"ran: {command}"}  # a stand-in: your tool runs the command


def get_weather(city: str) -> dict[str, Any]:
    """The weather in a city."""
    return {"forecast": f"Sunny in {city}"}


def build_app(model: str | BaseLlm = "gemini-2.5-flash") -> App:
    agent = LlmAgent(name="ops", model=model, tools=[bash, get_weather])
    return App(name="ops_app", root_agent=agent, plugins=[VectimusPlugin()])


async def ask(app: App, text: str) -> list[Any]:
    runner = InMemoryRunner(app=app)
    session = await runner.session_service.create_session(app_name=app.name, user_id="dev")
    message = types.Content(role="user", parts=[types.Part(text=text)])
    events = [
        event
        async for event in runner.run_async(
            user_id="dev", session_id=session.id, new_message=message
        )
    ]
    await runner.close()  # the plugin waits for the receipts to be written
    return events


if __name__ == "__main__":
    import asyncio

    for event in asyncio.run(ask(build_app(), "Free some disk space, then: Paris?")):
        print(event.author, event.content)
