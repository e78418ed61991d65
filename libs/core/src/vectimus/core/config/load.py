"""Read the config layers and validate them once.

Precedence, lowest first: defaults, ~/.vectimus/config.toml, the project's
.vectimus/config.toml (tighten-only unless the user trusts that project by path), then
VECTIMUS_* variables (an empty one counts as unset). Every error names the file or
variable, the key and the problem.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from vectimus.core.config.models import Settings
from vectimus.core.config.tighten import drop_user_only, merge_project
from vectimus.core.errors import ConfigError
from vectimus.core.paths import find_project_root, project_dir, user_config_file

_PATH_KEYS = (("policies", "dir"), ("policies", "extra_dirs"), ("audit", "log_dir"))


@dataclass(frozen=True)
class LoadedConfig:
    settings: Settings
    project_root: Path | None
    files: tuple[Path, ...]
    # Enforcement levels a project asked for; applied only where stricter than the rule's own.
    project_enforcement: Mapping[str, str] = field(default_factory=dict)
    refused: tuple[str, ...] = ()
    trusted_project: bool = False


def read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except FileNotFoundError:
        return {}
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}") from exc
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML: not UTF-8 text ({exc.reason})") from None
    except RecursionError:
        raise ConfigError(f"{path}: invalid TOML: arrays or tables nested too deeply") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc}") from exc


def _resolve_paths(raw: dict[str, Any], base: Path) -> dict[str, Any]:
    for section, key in _PATH_KEYS:
        table = raw.get(section)
        if not isinstance(table, dict) or key not in table:
            continue
        value = table[key]
        if isinstance(value, str):
            table[key] = str(base / Path(value).expanduser())
        elif isinstance(value, list):
            table[key] = [
                str(base / Path(v).expanduser()) if isinstance(v, str) else v for v in value
            ]
    return raw


def describe_errors(exc: ValidationError, *, section: str = "") -> str:
    """Each pydantic problem as ``dotted.key: message``, keys prefixed with ``section``."""
    parts = []
    for error in exc.errors():
        key = ".".join(str(p) for p in (section, *error["loc"]) if p != "") or "(top level)"
        parts.append(f"{key}: {error['msg']}")
    return "; ".join(parts)


def validate(raw: Mapping[str, Any], origin: str) -> Settings:
    try:
        return Settings.model_validate(raw)
    except ValidationError as exc:
        problems = describe_errors(exc)
        raise ConfigError(f"{origin}: {problems}") from None


def _env_bool(name: str, value: str) -> bool:
    lowered = value.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off"}:
        return False
    raise ConfigError(f"{name}={value!r}: expected true or false")


def _env_int(name: str, value: str) -> int:
    try:
        return int(value)
    except ValueError:
        raise ConfigError(f"{name}={value!r}: expected a whole number") from None


def _env_list(_name: str, value: str) -> list[str]:
    return [item.strip() for item in value.split(",") if item.strip()]


# VECTIMUS_* variable -> (section, key, parser). One table, so docs and code agree.
ENVIRONMENT = {
    "VECTIMUS_OBSERVE": ("", "observe", _env_bool),
    "VECTIMUS_POLICY_DIR": ("policies", "dir", lambda _n, v: v),
    "VECTIMUS_CONTENT_MAX_LINES": ("limits", "content_inspection_max_lines", _env_int),
    "VECTIMUS_MCP_ALLOWED": ("mcp", "allowed_servers", _env_list),
    "VECTIMUS_RECEIPTS_ENABLED": ("receipts", "enabled", _env_bool),
    "VECTIMUS_AUDIT_DIR": ("audit", "log_dir", lambda _n, v: v),
    "VECTIMUS_PRINCIPAL": ("identity", "principal", lambda _n, v: v),
    "VECTIMUS_SERVER_URL": ("server", "url", lambda _n, v: v),
    "VECTIMUS_TRUSTED_KEYS": ("policies", "trusted_keys", _env_list),
    "VECTIMUS_BUNDLE_URL": ("policies", "bundle_url", lambda _n, v: v),
    "VECTIMUS_BUNDLE_POLL_S": ("policies", "bundle_poll_s", lambda _n, v: v),
    "VECTIMUS_SESSION_SPAWN_LIMIT": ("limits", "session_spawn_limit", _env_int),
    "VECTIMUS_SESSION_MESSAGE_LIMIT": ("limits", "session_message_limit", _env_int),
    "VECTIMUS_SESSION_TTL_SECONDS": ("limits", "session_ttl_seconds", _env_int),
    "VECTIMUS_ESCALATION_MODE": ("escalation", "mode", lambda _n, v: v),
    "VECTIMUS_ESCALATION_TIMEOUT_SECONDS": ("escalation", "timeout_seconds", lambda _n, v: v),
    "VECTIMUS_ESCALATION_PUBLIC_URL": ("escalation", "public_url", lambda _n, v: v),
    "VECTIMUS_APPROVAL_WEBHOOK_URL": ("escalation.webhook", "url", lambda _n, v: v),
    "VECTIMUS_APPROVAL_WEBHOOK_SECRET": ("escalation.webhook", "secret", lambda _n, v: v),
    "VECTIMUS_SLACK_WEBHOOK_URL": ("escalation.slack", "webhook_url", lambda _n, v: v),
    "VECTIMUS_PAGERDUTY_ROUTING_KEY": ("escalation.pagerduty", "routing_key", lambda _n, v: v),
    "VECTIMUS_PAGERDUTY_URL": ("escalation.pagerduty", "url", lambda _n, v: v),
}


def apply_environment(raw: dict[str, Any], environ: Mapping[str, str]) -> dict[str, Any]:
    """Lay the set ``VECTIMUS_*`` variables over ``raw``. An empty variable is an unset one,
    as for the server and worker settings: a deployment that passes ``VAR=`` through (compose's
    ``${VAR:-}``, an empty Helm value) keeps the file's value or the default."""
    for name, (section, key, parse) in ENVIRONMENT.items():
        if not environ.get(name):
            continue
        value = parse(name, environ[name])
        table = raw
        for part in section.split(".") if section else ():
            table = table.setdefault(part, {})  # a dotted section is a nested table
        table[key] = value
    return raw


def load_config(cwd: Path | None = None, environ: Mapping[str, str] | None = None) -> LoadedConfig:
    """Load and validate every layer for a call made in ``cwd``."""
    environ = os.environ if environ is None else environ
    user_file = user_config_file()
    user_raw = _resolve_paths(read_toml(user_file), user_file.parent)
    validate(user_raw, str(user_file))
    files = [user_file]
    root = find_project_root(cwd) if cwd is not None else None
    merged: dict[str, Any] = user_raw
    raises: dict[str, str] = {}
    refused: list[str] = []
    trusted = False
    if root is not None:
        project_file = project_dir(root) / "config.toml"
        project_raw = _resolve_paths(read_toml(project_file), root)
        files.append(project_file)
        if project_raw:
            validate(project_raw, str(project_file))
            trusted_roots = {
                Path(p).resolve() for p in user_raw.get("trust", {}).get("projects", [])
            }
            trusted = root in trusted_roots
            if trusted:
                project_raw, user_only = drop_user_only(project_raw)
                refused = [f"{project_file}: {line}" for line in user_only]
                merged = _deep_merge(user_raw, project_raw)
            else:
                merged, raises, refused = merge_project(user_raw, project_raw)
                refused = [f"{project_file}: {line}" for line in refused]
    merged = apply_environment(merged, environ)
    settings = validate(merged, "merged configuration (config files and VECTIMUS_* variables)")
    return LoadedConfig(
        settings=settings,
        project_root=root,
        files=tuple(files),
        project_enforcement=raises,
        refused=tuple(refused),
        trusted_project=trusted,
    )


def _deep_merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _deep_merge(out[key], value)
        else:
            out[key] = value
    return out
