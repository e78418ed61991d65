"""What we know about each rule besides its Cedar body: its annotations and where it lives."""

from __future__ import annotations

from typing import Literal

import msgspec

Enforcement = Literal["deny", "escalate", "observe"]
ENFORCEMENTS: tuple[Enforcement, ...] = ("deny", "escalate", "observe")

# Higher is stricter. Observe-only rules are recorded but never block.
STRICTNESS: dict[str, int] = {"allow": 0, "observe": 1, "escalate": 2, "deny": 3}


class RuleInfo(msgspec.Struct, frozen=True, kw_only=True):
    """A rule's metadata, read once from its Cedar annotations at load."""

    id: str
    description: str = ""
    suggested_alternative: str = ""
    incident: str = ""
    controls: tuple[str, ...] = ()
    enforcement: Enforcement = "deny"
    pack: str = ""
    file: str = ""
    line: int = 0
    actions: tuple[str, ...] = ()


def stricter(a: str, b: str) -> str:
    """The stricter of two outcomes (allow, observe, escalate, deny)."""
    return a if STRICTNESS[a] >= STRICTNESS[b] else b
