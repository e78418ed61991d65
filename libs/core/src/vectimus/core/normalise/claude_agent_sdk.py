"""Claude Agent SDK hook payloads → Event.

Protocol: the Agent SDK runs the same hook system as Claude Code (PreToolUseHookInput in the
SDK's TypeScript and Python references carries the same fields and tool names), so this reuses
the Claude Code mapping and only labels the source "claude-agent-sdk".
"""

from __future__ import annotations

from typing import Final

from vectimus.core.events import Event, Identity

from .claude_code import normalise_as

SOURCE: Final = "claude-agent-sdk"


def normalise(payload: object, *, identity: Identity | None = None) -> Event:
    return normalise_as(SOURCE, payload, identity=identity)
