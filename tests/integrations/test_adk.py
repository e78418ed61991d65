"""Google ADK agents, real package, scripted model: the plugin and the plain before-tool
callback stop `rm -rf /` with the reason in the function response the model reads, let the
harmless tool run, and leave receipts and audit records."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from google.adk.agents import LlmAgent
from google.adk.apps import App
from google.adk.runners import InMemoryRunner
from google.adk.tools.mcp_tool.mcp_session_manager import MCPSessionManager, StdioConnectionParams
from google.adk.tools.mcp_tool.mcp_tool import McpTool
from google.genai import types
from mcp import StdioServerParameters
from mcp.types import Tool as McpToolSpec

from vectimus.integrations import Governor
from vectimus.integrations.adk import VectimusPlugin, before_tool_callback, mcp_identity

from .conftest import read_trail
from .fakes import ScriptedLlm, adk_rm_then_weather, function_responses


class Tools:
    """ADK function tools that remember every call that reached them."""

    def __init__(self) -> None:
        self.ran: list[tuple[str, dict[str, Any]]] = []

        def bash(command: str) -> dict[str, Any]:
            """Run a shell command."""
            self.ran.append(("bash", {"command": command}))
            return {"output": "ran it"}

        def get_weather(city: str) -> dict[str, Any]:
            """The weather in a city."""
            self.ran.append(("get_weather", {"city": city}))
            return {"forecast": f"Sunny in {city}"}

        self.all = [bash, get_weather]


async def run(agent: LlmAgent, plugins: list[Any] | None = None) -> str:
    runner = InMemoryRunner(app=App(name="ops_app", root_agent=agent, plugins=plugins or []))
    session = await runner.session_service.create_session(app_name="ops_app", user_id="u1")
    message = types.Content(role="user", parts=[types.Part(text="clean up, then weather")])
    async for _ in runner.run_async(user_id="u1", session_id=session.id, new_message=message):
        pass
    await runner.close()
    return session.id


def assert_blocked_and_ran(model: ScriptedLlm, tools: Tools) -> str:
    assert tools.ran == [("get_weather", {"city": "Paris"})]
    assert len(model.requests) == 2
    responses = function_responses(model.requests[1])
    blocked = responses["bash"]
    assert "vectimus-destructive-001" in blocked["error"]
    assert blocked["suggested_alternative"] and blocked["suggested_alternative"] in blocked["error"]
    assert blocked["vectimus_decision"] == "deny"
    assert responses["get_weather"] == {"forecast": "Sunny in Paris"}
    return str(blocked["receipt_id"])


def assert_trail(project: Path, denied_id: str, session_id: str) -> None:
    trail = read_trail(project)
    assert len(trail.receipts) == 2 and len(trail.records) == 2
    assert {r.source for r in trail.receipts.values()} == {"google-adk"}
    assert trail.receipts[denied_id].decision == "deny"
    event = trail.records[denied_id].event
    assert (event.action.action_type, event.action.command) == ("shell_command", "rm -rf /")
    assert event.action.extra["agent_name"] == "ops"
    assert event.source.session_id == session_id
    assert event.source.version  # the installed google-adk version
    assert event.identity.identity_type == "agent"
    (allowed,) = (r for r in trail.records.values() if r.receipt_id != denied_id)
    assert allowed.decision.decision == "allow"
    assert allowed.event.action.raw_tool_name == "get_weather"


async def test_plugin_on_the_runner(project: Path) -> None:
    model, tools = adk_rm_then_weather(), Tools()
    plugin = VectimusPlugin(server_url="")
    agent = LlmAgent(name="ops", model=model, tools=tools.all)
    session_id = await run(agent, [plugin])
    denied_id = assert_blocked_and_ran(model, tools)
    assert plugin.governor.flush(10)
    assert_trail(project, denied_id, session_id)


async def test_before_tool_callback_on_the_agent(project: Path) -> None:
    model, tools = adk_rm_then_weather(), Tools()
    callback = before_tool_callback(server_url="")
    agent = LlmAgent(name="ops", model=model, tools=tools.all, before_tool_callback=callback)
    session_id = await run(agent)
    denied_id = assert_blocked_and_ran(model, tools)
    assert callback.governor.flush(10)  # type: ignore[attr-defined]
    assert_trail(project, denied_id, session_id)


async def test_harmless_shell_command_runs(project: Path) -> None:
    tools = Tools()
    call = types.FunctionCall(id="c1", name="bash", args={"command": "git status"})
    model = ScriptedLlm(
        model="scripted",
        script=[types.Content(role="model", parts=[types.Part(function_call=call)])],
    )
    agent = LlmAgent(name="ops", model=model, tools=tools.all)
    await run(agent, [VectimusPlugin(Governor("google-adk", server_url="", record=False))])
    assert tools.ran == [("bash", {"command": "git status"})]


def mcp_tool(name: str) -> McpTool:
    manager = MCPSessionManager(
        StdioConnectionParams(server_params=StdioServerParameters(command="github-mcp"))
    )
    spec = McpToolSpec(name=name, inputSchema={"type": "object", "properties": {}})
    return McpTool(mcp_tool=spec, mcp_session_manager=manager)


def test_mcp_tool_server_from_the_toolset_prefix() -> None:
    tool = mcp_tool("create_issue")
    assert mcp_identity(tool) == (None, None)  # no prefix: no server name to go by
    tool.name = "github_create_issue"  # what McpToolset(tool_name_prefix="github") does
    assert mcp_identity(tool) == ("github", "create_issue")


async def test_plugin_maps_a_prefixed_mcp_tool(project: Path) -> None:
    plugin = VectimusPlugin(server_url="", record=False)
    tool = mcp_tool("create_issue")
    tool.name = "github_create_issue"

    class Context:
        agent_name = "ops"

        @property
        def session(self) -> Any:
            raise ValueError("no session here")

    answer = await plugin.before_tool_callback(
        tool=tool,
        tool_args={"title": "x"},
        tool_context=Context(),  # type: ignore[arg-type]
    )
    assert answer is not None and "vectimus-mcp-001" in answer["error"]
