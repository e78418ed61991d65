"""What the management commands show and check: every rule and pack, and how config treats them.

Packs are read from the configured policy directories with none left out, so a rule in a
disabled pack can still be named (and its pack enabled again). Effective enforcement is
the rule's own level, then the user's override, then any stricter level a project asks for.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from vectimus.core.assemble import effective_enforcement, policy_dirs
from vectimus.core.config import LoadedConfig, load_config
from vectimus.core.engine.compile import (
    compile_policies,
    load_policy_dirs,
    pack_dirs,
    read_pack_info,
)
from vectimus.core.engine.compiled import CompiledPolicies
from vectimus.core.engine.rules import RuleInfo


@dataclass(frozen=True)
class RuleView:
    rule: RuleInfo
    effective: str  # deny | escalate | observe
    disabled: bool  # by rules.disabled
    pack_disabled: bool

    @property
    def active(self) -> bool:
        return not (self.disabled or self.pack_disabled)


@dataclass(frozen=True)
class PackView:
    name: str
    version: str
    description: str
    path: Path
    rules: int
    disabled: bool


@dataclass(frozen=True)
class Catalog:
    loaded: LoadedConfig
    compiled: CompiledPolicies
    rules: dict[str, RuleView]
    packs: dict[str, PackView]


def suggestion(wanted: str, names: Iterable[str]) -> str:
    """A hint naming the nearest known name, for an error message ("" when none is close)."""
    close = difflib.get_close_matches(wanted, list(names), n=1)
    return f" (did you mean {close[0]}?)" if close else ""


def load_catalog(cwd: Path | None = None) -> Catalog:
    """Every rule and pack under the configured policy directories, with their status."""
    loaded = load_config(cwd)
    settings = loaded.settings
    dirs = policy_dirs(settings)
    compiled = compile_policies(load_policy_dirs(dirs))
    levels = effective_enforcement(compiled, loaded)
    disabled_rules = set(settings.rules.disabled)
    disabled_packs = set(settings.policies.disabled_packs)
    rules = {
        rule_id: RuleView(
            rule=rule,
            effective=levels.get(rule_id, rule.enforcement),
            disabled=rule_id in disabled_rules,
            pack_disabled=rule.pack in disabled_packs,
        )
        for rule_id, rule in compiled.rules.items()
    }
    counts: dict[str, int] = {}
    for rule in compiled.rules.values():
        counts[rule.pack] = counts.get(rule.pack, 0) + 1
    packs: dict[str, PackView] = {}
    for root in dirs:
        for pack in pack_dirs(root):
            name, version, description = read_pack_info(pack)
            packs.setdefault(
                name,
                PackView(
                    name=name,
                    version=version,
                    description=description,
                    path=pack,
                    rules=counts.get(name, 0),
                    disabled=name in disabled_packs,
                ),
            )
    return Catalog(loaded=loaded, compiled=compiled, rules=rules, packs=packs)
