"""MCP tools loaded through langchain-mcp-adapters, each call checked as an MCP call of its
server: the [mcp] allowed_servers allowlist and the MCP rules apply."""

from __future__ import annotations

from typing import Any

from langchain_core.tools import BaseTool
from langchain_mcp_adapters.client import MultiServerMCPClient

from vectimus.integrations.langgraph import MCPInterceptor


async def governed_mcp_tools(connections: dict[str, Any]) -> list[BaseTool]:
    """Name each connection as the server is named in [mcp] allowed_servers."""
    client = MultiServerMCPClient(connections, tool_interceptors=[MCPInterceptor()])
    return await client.get_tools()


if __name__ == "__main__":
    import asyncio

    connections = {
        "github": {
            "transport": "stdio",
            "command": "npx",
            "args": ["-y", "@modelcontextprotocol/server-github"],
        }
    }
    for mcp_tool in asyncio.run(governed_mcp_tools(connections)):
        print(mcp_tool.name)
