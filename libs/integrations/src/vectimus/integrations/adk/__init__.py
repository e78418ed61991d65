"""Vectimus for Google ADK (``pip install 'vectimus[adk]'``).

- :class:`VectimusPlugin`: ``Runner(..., plugins=[VectimusPlugin()])`` governs every tool of
  every agent the runner runs (ADK's ``BasePlugin.before_tool_callback``).
- :func:`before_tool_callback`: ``LlmAgent(before_tool_callback=before_tool_callback())`` for
  an agent run without plugins.
"""

from .plugin import VectimusPlugin, before_tool_callback, blocked_response, mcp_identity

__all__ = ["VectimusPlugin", "before_tool_callback", "blocked_response", "mcp_identity"]
