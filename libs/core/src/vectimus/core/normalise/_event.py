"""The parts of an Event that every source fills the same way."""

from __future__ import annotations

from typing import Final

from msgspec import structs

from vectimus.core.events import Action, Context, Event, Identity, Source

from ._fields import JsonObject, get_text
from ._tools import Call, Extra, Handler, ToolTable, unknown_tool

SESSION_KEYS: Final = ("session_id", "sessionId", "conversation_id", "conversationId")
VERSION_KEYS: Final = ("version", "cursor_version", "client_version", "clientVersion")
PRINCIPAL_KEYS: Final = ("user_email", "userEmail", "email", "user", "username", "user_id")

# Facts from the payload (outside the tool's arguments) that policies ask about. A value set
# from the tool's own arguments wins over the payload's.
_PAYLOAD_EXTRA_KEYS: Final = (
    ("permission_mode", ("permission_mode", "permissionMode")),
    ("agent_id", ("agent_id", "agentId")),
    ("agent_type", ("agent_type", "agentType")),
    ("hook_event_name", ("hook_event_name", "hookEventName")),
)


def dispatch(table: ToolTable, call: Call) -> Action:
    handler: Handler | None = table.get(call.name)
    return handler(call) if handler is not None else unknown_tool(call)


def build_event(
    source: str,
    payload: JsonObject,
    action: Action,
    *,
    identity: Identity | None,
    cwd: str,
) -> Event:
    """Wrap ``action`` with the source, identity and context read from ``payload``."""
    extra: Extra = {}
    for name, keys in _PAYLOAD_EXTRA_KEYS:
        value = get_text(payload, *keys)
        if value is not None:
            extra[name] = value
    if extra:
        action = structs.replace(action, extra={**extra, **action.extra})
    if identity is None:
        identity = Identity(
            principal=get_text(payload, *PRINCIPAL_KEYS) or "unknown", identity_type="agent"
        )
    return Event(
        source=Source(
            tool=source,
            version=get_text(payload, *VERSION_KEYS) or "",
            session_id=get_text(payload, *SESSION_KEYS) or "",
        ),
        identity=identity,
        action=action,
        context=Context(cwd=cwd),
    )
