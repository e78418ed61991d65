"""The records that flow through Vectimus: one definition of each, shared by every process.

These are msgspec Structs because they sit on the hot path (the hook, the evaluator loop)
and on the wire (Redis Streams, HTTP). Configuration people write lives in pydantic models
in :mod:`vectimus.core.config` instead.
"""

from __future__ import annotations

from typing import Literal

import msgspec

ActionType = Literal[
    "shell_command",
    "file_write",
    "file_read",
    "web_request",
    "mcp_tool",
    "package_operation",
    "git_operation",
    "infrastructure",
    "agent_spawn",
    "agent_message",
]
ACTION_TYPES: tuple[ActionType, ...] = (
    "shell_command",
    "file_write",
    "file_read",
    "web_request",
    "mcp_tool",
    "package_operation",
    "git_operation",
    "infrastructure",
    "agent_spawn",
    "agent_message",
)

DecisionKind = Literal["allow", "deny", "escalate"]
IdentityType = Literal["human", "agent"]

SourceName = Literal[
    "claude-code",
    "claude-agent-sdk",
    "cursor",
    "copilot",
    "gemini-cli",
    "codex",
    "langgraph",
    "google-adk",
]
SOURCES: tuple[SourceName, ...] = (
    "claude-code",
    "claude-agent-sdk",
    "cursor",
    "copilot",
    "gemini-cli",
    "codex",
    "langgraph",
    "google-adk",
)


class Source(msgspec.Struct, frozen=True, kw_only=True):
    """Which agent tool sent the call."""

    tool: str
    version: str = ""
    session_id: str = ""


class Identity(msgspec.Struct, frozen=True, kw_only=True):
    """Who is acting. An agent acts for a principal; the principal is what policies name."""

    principal: str = "unknown"
    persona: str = ""
    groups: tuple[str, ...] = ()
    identity_type: IdentityType = "agent"


class Action(msgspec.Struct, frozen=True, kw_only=True):
    """What the agent wants to do, in tool-neutral terms.

    ``extra`` carries typed facts that only some tools send (for a subagent spawn: its
    permission mode and max turns), so policies can see them without a field per tool.
    """

    action_type: ActionType
    raw_tool_name: str
    command: str | None = None
    file_path: str | None = None
    url: str | None = None
    mcp_server: str | None = None
    mcp_tool: str | None = None
    package_name: str | None = None
    file_content: str | None = None
    script_content: str | None = None
    extra: dict[str, str | int | bool] = msgspec.field(default_factory=dict)


class Context(msgspec.Struct, frozen=True, kw_only=True):
    """Where the call happens."""

    repository: str = ""
    branch: str = ""
    hostname: str = ""
    cwd: str = ""


class Event(msgspec.Struct, frozen=True, kw_only=True):
    """A normalised tool call: the single input of every evaluation."""

    source: Source
    identity: Identity
    action: Action
    context: Context = msgspec.field(default_factory=Context)


class Decision(msgspec.Struct, frozen=True, kw_only=True):
    """The answer. ``matched_policy_ids`` keeps every rule that matched, observe-only ones too."""

    decision: DecisionKind
    reason: str
    action_type: ActionType
    suggested_alternative: str = ""
    matched_policy_ids: tuple[str, ...] = ()
    receipt_id: str = ""
    evaluation_time_ms: float = 0.0
    observed: bool = False
    # Set on the decision that settles an escalation (an approver's allow or deny, or the
    # timeout's deny): the receipt id of the escalated decision it settles.
    escalation_of: str = ""
