"""One Governor shared by several guards, asking the team gateway first.

A gateway that is down, too slow or answers anything but a decision makes the Governor
decide locally with the same policies: never does a failure allow a call.
"""

from __future__ import annotations

import os

from vectimus.integrations import Governor
from vectimus.integrations.langgraph import MCPInterceptor, ToolGuard


def team_guards(server_url: str, api_key: str) -> tuple[ToolGuard, MCPInterceptor]:
    governor = Governor("langgraph", server_url=server_url, api_key=api_key, timeout=2.0)
    return ToolGuard(governor, agent_name="ops"), MCPInterceptor(governor, agent_name="ops")


if __name__ == "__main__":
    guard, interceptor = team_guards(
        "https://vectimus.example.internal:8420", os.environ["VECTIMUS_API_KEY"]
    )
    print(guard.governor.check("terminal", {"command": "rm -rf /"}).message)
