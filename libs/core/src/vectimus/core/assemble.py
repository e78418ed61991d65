"""Build a Snapshot from config files and policy packs: the slow path, run on a cache miss.

This is where pydantic, TOML and policy compilation are imported; the hook's warm path
never imports this module.
"""

from __future__ import annotations

import getpass
from collections.abc import Mapping
from pathlib import Path

from vectimus.core import audit, bundles, config, engine, receipts
from vectimus.core.bundles.base import base_files, policy_base
from vectimus.core.bundles.install import active_file
from vectimus.core.config import LoadedConfig, Settings, load_config
from vectimus.core.config.tighten import stricter_level
from vectimus.core.engine.compile import PolicyFile, compile_policies, load_policy_dirs
from vectimus.core.engine.compiled import SCHEMA_PATH, CompiledPolicies
from vectimus.core.engine.rules import ENFORCEMENTS, Enforcement
from vectimus.core.errors import PolicyLoadError
from vectimus.core.events import Identity
from vectimus.core.paths import user_config_file
from vectimus.core.snapshot import Snapshot, dependencies

# Editing the code that resolves config must invalidate cached snapshots too.
_CODE = (
    *Path(config.__file__).parent.glob("*.py"),
    *Path(engine.__file__).parent.glob("*.py"),
    *Path(bundles.__file__).parent.glob("*.py"),
    Path(audit.__file__).with_name("settings.py"),
    Path(receipts.__file__).with_name("settings.py"),
    Path(__file__),
)


def bundled_policy_dir() -> Path:
    """The packs shipped with Vectimus: inside the wheel, or policies/ in a source checkout."""
    packaged = Path(engine.__file__).parent.parent / "bundled_policies"
    if packaged.is_dir():
        return packaged
    checkout = Path(__file__).resolve().parents[5] / "policies"
    if checkout.is_dir():
        return checkout
    raise PolicyLoadError("the bundled policy packs are missing from this installation")


def policy_dirs(settings: Settings) -> list[Path]:
    """The base packs (see :mod:`vectimus.core.bundles.base`), then ``extra_dirs``."""
    return [policy_base(settings, bundled_policy_dir).directory, *settings.policies.extra_dirs]


def compile_with(settings: Settings, base: list[PolicyFile]) -> CompiledPolicies:
    """``base`` and the extra packs compiled, checked against what the config names."""
    extra = load_policy_dirs(
        settings.policies.extra_dirs, disabled_packs=settings.policies.disabled_packs
    )
    compiled = compile_policies([*base, *extra])
    unknown = [r for r in settings.rules.disabled if r not in compiled.rules]
    if unknown:
        raise PolicyLoadError(
            f"{user_config_file()}: rules.disabled names unknown rule id(s): {', '.join(unknown)}"
        )
    return compiled


def check_base(directory: Path, environ: Mapping[str, str]) -> None:
    """Raise unless the packs in ``directory`` would load as the base with the user-level
    config: a bundle is checked this way before it is put in force."""
    settings = load_config(None, environ).settings
    skip = settings.policies.disabled_packs
    compile_with(settings, load_policy_dirs([directory], disabled_packs=skip))


def effective_enforcement(
    compiled: CompiledPolicies, loaded: LoadedConfig
) -> dict[str, Enforcement]:
    """User overrides beat annotations; a project's may only raise a rule's level."""
    levels: dict[str, Enforcement] = dict(loaded.settings.rules.enforcement)
    for rule_id, level in loaded.project_enforcement.items():
        rule = compiled.rules.get(rule_id)
        current = levels.get(rule_id, rule.enforcement) if rule is not None else None
        if current is not None and level in ENFORCEMENTS and stricter_level(current, level):
            levels[rule_id] = level
    return levels


def identity_of(settings: Settings, environ: Mapping[str, str]) -> Identity:
    configured = settings.identity
    principal = configured.principal
    if not principal:
        try:
            principal = getpass.getuser()
        except (KeyError, OSError):
            principal = environ.get("USER", "unknown")
    return Identity(
        principal=principal,
        persona=configured.persona,
        groups=configured.groups,
        identity_type=configured.identity_type,
    )


def _watched(loaded: LoadedConfig, dirs: list[Path]) -> list[Path]:
    """Every file and directory whose change must rebuild the snapshot."""
    watched = [*loaded.files, SCHEMA_PATH, active_file(), *_CODE]
    for root in dirs:
        watched.append(root)
        for pack in [root, *_subdirs(root)]:
            watched.append(pack)
            watched.extend(sorted(pack.glob("*.cedar")))
            watched.append(pack / "pack.toml")
    return watched


def _subdirs(root: Path) -> list[Path]:
    try:
        return sorted(p for p in root.iterdir() if p.is_dir())
    except OSError:
        return []  # a missing directory is reported by the load itself


# A load that saw its files change under it is done again, this many times at most.
_LOAD_ATTEMPTS = 3


def build_snapshot(cwd: Path | None, environ: Mapping[str, str]) -> Snapshot:
    loaded = load_config(cwd, environ)
    settings = loaded.settings
    for _attempt in range(_LOAD_ATTEMPTS):
        # The files' state is taken before they are read and compared after: a set edited
        # while it was read (half old, half new) is never kept, nor cached as current.
        base = policy_base(settings, bundled_policy_dir)
        dirs = [base.directory, *settings.policies.extra_dirs]
        before = dependencies(_watched(loaded, dirs))
        files, source = base_files(settings, base)
        compiled = compile_with(settings, files)
        deps = dependencies(_watched(loaded, dirs))
        if deps == before:
            break
    else:
        raise PolicyLoadError(
            "the policy files kept changing while they were loaded",
            hint="install policies with `vectimus policy update`, which swaps them atomically",
        )
    return Snapshot(
        deps=deps,
        compiled=compiled,
        policy_source=source,
        enforcement=effective_enforcement(compiled, loaded),
        disabled=settings.rules.disabled,
        observe=settings.observe,
        max_lines=settings.limits.content_inspection_max_lines,
        excessive_turns_threshold=settings.limits.excessive_turns_threshold,
        mcp_allowed=settings.mcp.allowed_servers,
        identity=identity_of(settings, environ),
        explicit_allow=settings.hook.explicit_allow,
        refused=loaded.refused,
        project_root=str(loaded.project_root or ""),
        receipts_enabled=settings.receipts.enabled,
        receipts_retention_days=settings.receipts.retention_days,
        audit=settings.audit.model_dump(mode="json"),
        session_spawn_limit=settings.limits.session_spawn_limit,
        session_message_limit=settings.limits.session_message_limit,
        session_ttl_s=settings.limits.session_ttl_seconds,
    )
