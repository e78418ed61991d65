"""Source name → normaliser: one explicit table, filled here and nowhere else."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Final, Protocol

from vectimus.core.errors import UnknownSourceError
from vectimus.core.events import Event, Identity

from . import claude_agent_sdk, claude_code, codex, copilot, cursor, frameworks, gemini_cli


class Normaliser(Protocol):
    def __call__(self, payload: object, *, identity: Identity | None = None) -> Event: ...


NORMALISERS: Final[Mapping[str, Normaliser]] = MappingProxyType(
    {
        "claude-code": claude_code.normalise,
        "claude-agent-sdk": claude_agent_sdk.normalise,
        "cursor": cursor.normalise,
        "copilot": copilot.normalise,
        "gemini-cli": gemini_cli.normalise,
        "codex": codex.normalise,
        "langgraph": frameworks.normalise_langgraph,
        "google-adk": frameworks.normalise_adk,
    }
)


def get_normaliser(source: str) -> Normaliser:
    """The normaliser for ``source``, or UnknownSourceError listing the valid names."""
    found = NORMALISERS.get(source) if isinstance(source, str) else None
    if found is None:
        raise UnknownSourceError(
            f"unknown source {source!r}",
            hint="valid sources: " + ", ".join(NORMALISERS),
        )
    return found


def normalise(source: str, payload: object, *, identity: Identity | None = None) -> Event:
    """Turn one hook payload from ``source`` into an Event.

    Raises UnknownSourceError for a source not in the table, and PayloadError when the payload
    is not a JSON object or names no tool; any other payload gives an Event.
    """
    return get_normaliser(source)(payload, identity=identity)
