"""Every example of docs/integrations.md, run: each is a file under docs/examples/integrations
that the doc shows verbatim (checked here), driven with a scripted model instead of a real one."""

from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from google.adk.runners import InMemoryRunner
from google.genai import types
from langchain_core.messages import HumanMessage, ToolMessage

from tests.conftest import REPO

from .conftest import read_trail
from .fakes import ScriptedChatModel, adk_rm_then_weather, function_responses, rm_then_weather
from .test_governor import FakeGateway

EXAMPLES = REPO / "docs" / "examples" / "integrations"
DOC = REPO / "docs" / "integrations.md"
NOTES_SERVER = Path(__file__).with_name("notes_server.py")


def load(name: str) -> ModuleType:
    path = EXAMPLES / f"{name}.py"
    spec = importlib.util.spec_from_file_location(f"docs_example_{name}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_doc_shows_every_example_verbatim() -> None:
    doc = DOC.read_text()
    blocks = re.findall(r"```python\n(.*?)```", doc, flags=re.DOTALL)
    shown = {}
    for block in blocks:
        header, _, body = block.partition("\n")
        assert header.startswith("# docs/examples/integrations/"), header
        shown[header.removeprefix("# docs/examples/integrations/")] = body
    files = {path.name: path.read_text() for path in EXAMPLES.glob("*.py")}
    assert shown == files


def assert_rm_blocked(model: ScriptedChatModel) -> None:
    results = {m.tool_call_id: m for m in model.seen[1] if isinstance(m, ToolMessage)}
    assert results["call_rm"].status == "error"
    assert "vectimus-destructive-001" in results["call_rm"].text
    assert results["call_wx"].text == "Sunny in Paris"


def test_langgraph_graph(project: Path) -> None:
    example, model = load("langgraph_graph"), rm_then_weather()
    graph = example.build_graph(model)
    graph.invoke({"messages": [HumanMessage("Free some disk space, then: Paris?")]})
    assert_rm_blocked(model)


async def test_langchain_agent(project: Path) -> None:
    example, model = load("langchain_agent"), rm_then_weather()
    await example.build_agent(model).ainvoke({"messages": [HumanMessage("go")]})
    assert_rm_blocked(model)


@pytest.mark.parametrize("allowed", [False, True])
async def test_mcp_adapters_with_a_real_stdio_server(
    project: Path, monkeypatch: pytest.MonkeyPatch, allowed: bool
) -> None:
    if allowed:
        monkeypatch.setenv("VECTIMUS_MCP_ALLOWED", "notes")
    connections = {
        "notes": {"transport": "stdio", "command": sys.executable, "args": [str(NOTES_SERVER)]}
    }
    (tool,) = await load("mcp_adapters").governed_mcp_tools(connections)
    call = {"name": "save_note", "args": {"text": "hi"}, "id": "c1", "type": "tool_call"}
    result = await tool.ainvoke(call)
    assert isinstance(result, ToolMessage)
    if allowed:
        assert result.status == "success" and "saved: hi" in result.text
    else:
        assert result.status == "error" and "vectimus-mcp-001" in result.text


async def test_adk_plugin(project: Path) -> None:
    example, model = load("adk_plugin"), adk_rm_then_weather()
    events = await example.ask(example.build_app(model), "Free some disk space, then: Paris?")
    assert events
    responses = function_responses(model.requests[1])
    assert "vectimus-destructive-001" in responses["bash"]["error"]
    assert responses["get_weather"] == {"forecast": "Sunny in Paris"}
    # runner.close() ran the plugin's close, which waited for the trail.
    assert len(read_trail(project).receipts) == 2


async def test_adk_callback(project: Path) -> None:
    example, model = load("adk_callback"), adk_rm_then_weather()
    runner = InMemoryRunner(agent=example.build_agent(model), app_name="ops_app")
    session = await runner.session_service.create_session(app_name="ops_app", user_id="dev")
    message = types.Content(role="user", parts=[types.Part(text="go")])
    async for _ in runner.run_async(user_id="dev", session_id=session.id, new_message=message):
        pass
    responses = function_responses(model.requests[1])
    assert "vectimus-destructive-001" in responses["bash"]["error"]
    assert responses["get_weather"] == {"forecast": "Sunny in Paris"}


def test_team_gateway_falls_back_locally(project: Path) -> None:
    gateway = FakeGateway()  # answers garbage
    try:
        guard, interceptor = load("team_gateway").team_guards(gateway.url, "k3y")
        check: Any = guard.governor.check("terminal", {"command": "rm -rf /"})
        assert (check.via, check.decision.decision) == ("local", "deny")
        assert interceptor.governor is guard.governor
        assert len(gateway.requests) == 1
    finally:
        gateway.close()
