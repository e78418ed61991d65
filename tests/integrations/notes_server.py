"""A tiny MCP server over stdio, for the MCP example test: one tool that saves a note."""

from __future__ import annotations

from mcp.server.fastmcp import FastMCP

server = FastMCP("notes")


@server.tool()
def save_note(text: str) -> str:
    """Save a note."""
    return f"saved: {text}"


if __name__ == "__main__":
    server.run()
