"""Vectimus for agent frameworks.

- :mod:`vectimus.integrations.langgraph`: LangGraph / LangChain tool-call guards, an agent
  middleware and a langchain-mcp-adapters interceptor (``pip install 'vectimus[langgraph]'``).
- :mod:`vectimus.integrations.adk`: a Google ADK plugin and before-tool callback
  (``pip install 'vectimus[adk]'``).

Both decide through :class:`~vectimus.integrations.core.Governor`.
"""

from .core import Check, Governor, agent_message

__all__ = ["Check", "Governor", "agent_message"]
