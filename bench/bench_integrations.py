"""Issue 9 benchmark: what Vectimus adds to one framework tool call, against the bare call.

Measured in one process and one run, each governed path against its own bare baseline:

- LangGraph: a compiled graph whose only node is a ``ToolNode`` running one harmless tool
  call, without and with the ``ToolGuard`` (``wrap_tool_call``);
- Google ADK: a ``FunctionTool`` run as ADK runs it (``run_async``), without and with the
  plugin's ``before_tool_callback`` in front;
- the Governor's decision alone, for scale.

Bare and governed calls alternate, and ``added_p50_ms`` is the median of the per-pair
differences, so a slow stretch of the machine hits both alike. Each pair runs twice: 20 ms
apart (an agent waits on its model between tool calls) and back to back (a stress case).

The trail is on in the governed rows: the receipt and audit record are written by the
Governor's background thread once the caller has been quiet for 10 ms (at most 1 s later), so
the call path pays for the decision and a queue put. The trail row says how many records
were written and how long the backlog took to drain after the last call.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from harness import report, summary, verdict

TARGET_MS = 0.5
REPEAT = 2000
PACED_REPEAT = 500
PACE_S = 0.02
WARMUP = 200


def paired(
    bare: Callable[[], object], governed: Callable[[], object], *, pace_s: float = 0.0
) -> tuple[list[float], list[float]]:
    """Milliseconds per call of each, alternating calls so both see the same conditions.

    ``pace_s`` sleeps between pairs (not timed), as an agent waits on its model between tool
    calls; 0 runs them back to back.
    """
    for _ in range(WARMUP):
        bare()
        governed()
    bare_ms, governed_ms = [], []
    for _ in range(REPEAT if not pace_s else PACED_REPEAT):
        if pace_s:
            time.sleep(pace_s)
        start = time.perf_counter_ns()
        bare()
        middle = time.perf_counter_ns()
        governed()
        end = time.perf_counter_ns()
        bare_ms.append((middle - start) / 1e6)
        governed_ms.append((end - middle) / 1e6)
    return bare_ms, governed_ms


def rows_for(
    name: str, bare_ms: list[float], governed_ms: list[float], how: str
) -> list[dict[str, Any]]:
    bare, governed = summary(bare_ms), summary(governed_ms)
    # The median of the per-pair differences: each governed call against the bare call made
    # just before it, so slow stretches of the machine cancel out.
    added = round(statistics.median(g - b for b, g in zip(bare_ms, governed_ms, strict=True)), 4)
    return [
        {"measure": f"{name}, bare (baseline), {how}", **bare},
        {
            "measure": f"{name}, governed, {how}",
            **governed,
            "added_p50_ms": added,
            "target": f"added <= {TARGET_MS} ms",
            "verdict": verdict(added, TARGET_MS),
        },
    ]


def langgraph_rows(project: Path) -> list[dict[str, Any]]:
    from langchain_core.messages import AIMessage
    from langchain_core.tools import tool
    from langgraph.graph import START, MessagesState, StateGraph
    from langgraph.prebuilt import ToolNode

    from vectimus.integrations.langgraph import ToolGuard

    @tool
    def get_weather(city: str) -> str:
        """The weather in a city."""
        return f"Sunny in {city}"

    def graph_with(node: ToolNode) -> Any:
        builder = StateGraph(MessagesState)
        builder.add_node("tools", node)
        builder.add_edge(START, "tools")
        return builder.compile()

    guard = ToolGuard(server_url="", cwd=project)
    bare_graph = graph_with(ToolNode([get_weather]))
    governed_graph = graph_with(guard.tool_node([get_weather]))
    call = {"name": "get_weather", "args": {"city": "Paris"}, "id": "c1", "type": "tool_call"}
    state = {"messages": [AIMessage(content="", tool_calls=[call])]}
    result = governed_graph.invoke(state)
    assert result["messages"][-1].text == "Sunny in Paris", result

    name = "LangGraph ToolNode, one harmless tool call"
    rows = []
    for how, pace in ((f"{PACE_S * 1000:.0f} ms apart", PACE_S), ("back to back", 0.0)):
        bare_ms, governed_ms = paired(
            lambda: bare_graph.invoke(state), lambda: governed_graph.invoke(state), pace_s=pace
        )
        rows += rows_for(name, bare_ms, governed_ms, how)
    started = time.perf_counter()
    assert guard.governor.flush(300)
    drained = time.perf_counter() - started
    trail = guard.governor.trail
    assert trail is not None and trail.failed == 0
    rows.append(
        {
            "measure": "trail: receipts + audit records written by the background thread",
            "n": trail.recorded,
            "backlog_drained_s": round(drained, 2),
        }
    )
    return rows


def adk_rows(project: Path) -> list[dict[str, Any]]:
    from google.adk.tools.function_tool import FunctionTool

    from vectimus.integrations.adk import VectimusPlugin

    def get_weather(city: str) -> dict[str, str]:
        """The weather in a city."""
        return {"forecast": f"Sunny in {city}"}

    class Context:
        agent_name = "bench"

        class session:  # noqa: N801 - shaped like ADK's ToolContext.session
            id = "s1"

    tool = FunctionTool(get_weather)
    plugin = VectimusPlugin(server_url="", cwd=project)
    args = {"city": "Paris"}
    context: Any = Context()
    loop = asyncio.new_event_loop()

    async def bare() -> Any:
        return await tool.run_async(args=args, tool_context=context)

    async def governed() -> Any:
        stopped = await plugin.before_tool_callback(tool=tool, tool_args=args, tool_context=context)
        return stopped if stopped is not None else await bare()

    assert loop.run_until_complete(governed()) == {"forecast": "Sunny in Paris"}
    name = "ADK FunctionTool with the plugin's before_tool_callback"
    rows = []
    for how, pace in ((f"{PACE_S * 1000:.0f} ms apart", PACE_S), ("back to back", 0.0)):
        bare_ms, governed_ms = paired(
            lambda: loop.run_until_complete(bare()),
            lambda: loop.run_until_complete(governed()),
            pace_s=pace,
        )
        rows += rows_for(name, bare_ms, governed_ms, how)
    loop.close()
    assert plugin.governor.flush(300)
    return rows


def decision_rows(project: Path) -> list[dict[str, Any]]:
    from harness import time_calls
    from vectimus.integrations import Governor

    governor = Governor("langgraph", server_url="", cwd=project, record=False)
    rows = []
    for label, name, args, expected in (
        ("unknown tool get_weather", "get_weather", {"city": "Paris"}, "allow"),
        ("shell: git status && ls -la", "terminal", {"command": "git status && ls -la"}, "allow"),
        ("shell: rm -rf / (denied)", "terminal", {"command": "rm -rf /"}, "deny"),
    ):
        check = governor.check(name, args)
        assert check.decision.decision == expected, check.message
        assert expected == "allow" or check.decision.matched_policy_ids, check.message
        samples = time_calls(lambda n=name, a=args: governor.check(n, a), repeat=REPEAT)
        rows.append({"measure": f"Governor.check alone, {label}", **summary(samples)})
    return rows


def main() -> None:
    with tempfile.TemporaryDirectory() as home, tempfile.TemporaryDirectory() as root:
        os.environ["VECTIMUS_HOME"] = home
        os.environ.pop("VECTIMUS_SERVER_URL", None)
        project = Path(root)
        (project / ".git").mkdir()
        rows = langgraph_rows(project) + adk_rows(project) + decision_rows(project)
    report("integrations", rows)


if __name__ == "__main__":
    main()
