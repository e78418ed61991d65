"""The compiled form of a policy set: plain data the engine turns into Cedar PolicySets.

Kept apart from the compiler so the hook's warm path (which loads a cached CompiledPolicies)
imports neither TOML nor the validation code.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import cedarpy
import msgspec

from vectimus.core.engine.rules import RuleInfo

SCHEMA_PATH = Path(__file__).with_name("vectimus.cedarschema")
ACTION_ENTITY = "Vectimus::Action"
BASELINE_ID = "vectimus-baseline-permit"


class CompiledPolicies(msgspec.Struct, frozen=True, kw_only=True):
    """Everything the engine needs, as data: cacheable and cheap to turn into PolicySets."""

    rules: dict[str, RuleInfo]
    policies: dict[str, dict[str, Any]]
    packs: dict[str, str]
    policy_set_hash: str
    # Each rule's Cedar text (the engine parses text: it is several times faster than EST).
    texts: dict[str, str] = msgspec.field(default_factory=dict)


@cache
def schema_text() -> str:
    return SCHEMA_PATH.read_text(encoding="utf-8")


@cache
def cedar_schema() -> cedarpy.Schema:
    return cedarpy.Schema.from_str(schema_text())
