"""The rule that a project's config can only tighten governance.

A repository an agent clones (or writes) must not weaken the rules it is governed by, so
what a project config says is merged key by key, keeping only what is at least as strict as
the user's own config. Everything dropped is reported, so a user can see what was refused.
Pure functions over plain dicts, so the rules read as a table.
"""

from __future__ import annotations

from typing import Any

from vectimus.core.config.models import LimitSettings

_LEVELS = {"observe": 1, "escalate": 2, "deny": 3}
LIMIT_DEFAULTS: dict[str, Any] = LimitSettings().model_dump()
# Sections no project config may set, not even a trusted one: [server] names the gateway that
# decides, so a project setting it could send its own calls to a gateway that allows all.
USER_ONLY = {"server": "a project config cannot set the server URL (it would redirect governance)"}


# Keys no project config may set, not even a trusted one: they decide which policy bundles
# are accepted and where they come from, so a repository setting them could install its own.
USER_ONLY_KEYS = {
    ("policies", "trusted_keys"): "a project config cannot choose whose policy bundles are trusted",
    ("policies", "bundle_url"): "a project config cannot choose where policy bundles come from",
    ("policies", "bundle_poll_s"): "a project config cannot set how policy bundles are fetched",
}


def drop_user_only(project: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """``project`` without the user-only sections and keys, and what was refused."""
    kept = {key: value for key, value in project.items() if key not in USER_ONLY}
    refused = [f"[{key}]: {USER_ONLY[key]}" for key in project if key in USER_ONLY]
    for (section, key), why in USER_ONLY_KEYS.items():
        table = kept.get(section)
        if isinstance(table, dict) and key in table:
            kept[section] = {k: v for k, v in table.items() if k != key}
            refused.append(f"{section}.{key}: {why}")
    return kept, refused


def merge_project(
    user: dict[str, Any], project: dict[str, Any]
) -> tuple[dict[str, Any], dict[str, str], list[str]]:
    """Merge an untrusted project config into ``user``.

    Returns the merged raw config, the project's enforcement raises (applied later, once the
    rules' own levels are known, and only where stricter), and what was refused.
    """
    merged = {key: dict(value) if isinstance(value, dict) else value for key, value in user.items()}
    refused: list[str] = []
    raises: dict[str, str] = {}
    for section, value in project.items():
        if section == "observe":
            if value is False:
                merged["observe"] = False
            elif value is not False:
                refused.append("observe: a project config cannot switch on observe mode")
        elif section == "rules" and isinstance(value, dict):
            raises = _rules(value, refused)
        elif section == "mcp" and isinstance(value, dict):
            _mcp(merged, value, refused)
        elif section == "limits" and isinstance(value, dict):
            _limits(merged, value, refused)
        elif section == "policies" and isinstance(value, dict):
            _policies(merged, value, refused)
        elif section in USER_ONLY:
            refused.append(f"[{section}]: {USER_ONLY[section]}")
        else:
            refused.append(f"[{section}]: only the user-level config may set this section")
    return merged, raises, refused


def _rules(value: dict[str, Any], refused: list[str]) -> dict[str, str]:
    if value.get("disabled"):
        refused.append("rules.disabled: a project config cannot disable rules")
    for key in set(value) - {"disabled", "enforcement"}:
        refused.append(f"rules.{key}: unknown key")
    enforcement = value.get("enforcement", {})
    if not isinstance(enforcement, dict):
        refused.append("rules.enforcement: must be a table of rule id = level")
        return {}
    raises = {}
    for rule_id, level in enforcement.items():
        if level in _LEVELS:
            raises[str(rule_id)] = level
        else:
            refused.append(
                f"rules.enforcement.{rule_id}: {level!r} is not deny, escalate or observe"
            )
    return raises


def _mcp(merged: dict[str, Any], value: dict[str, Any], refused: list[str]) -> None:
    servers = value.get("allowed_servers")
    if not isinstance(servers, list):
        if servers is not None:
            refused.append("mcp.allowed_servers: must be a list of server names")
        return
    user_servers = merged.get("mcp", {}).get("allowed_servers", [])
    kept = [s for s in servers if s in user_servers]
    widened = [s for s in servers if s not in user_servers]
    if widened:
        refused.append(f"mcp.allowed_servers: a project config cannot add {widened}")
    merged.setdefault("mcp", {})["allowed_servers"] = kept


def _limits(merged: dict[str, Any], value: dict[str, Any], refused: list[str]) -> None:
    limits = merged.setdefault("limits", {})
    # Inspecting more lines is stricter; a lower turn threshold or session limit is stricter;
    # keeping a session's counts longer is stricter.
    stricter_when = {
        "content_inspection_max_lines": max,
        "excessive_turns_threshold": min,
        "session_spawn_limit": min,
        "session_message_limit": min,
        "session_ttl_seconds": max,
    }
    for key, raw in value.items():
        pick = stricter_when.get(key)
        if pick is None or not isinstance(raw, int) or isinstance(raw, bool):
            refused.append(f"limits.{key}: not a limit a project config may set")
            continue
        # Compared with the default where the user set nothing: a project may not loosen that.
        current = limits.get(key, LIMIT_DEFAULTS.get(key))
        limits[key] = raw if current is None else pick(current, raw)
        if limits[key] != raw:
            refused.append(f"limits.{key}: {raw} would loosen the user's {current}")


def _policies(merged: dict[str, Any], value: dict[str, Any], refused: list[str]) -> None:
    for key, raw in value.items():
        if key == "extra_dirs" and isinstance(raw, list):
            # More packs can only add forbid rules: extra policy is always tightening.
            policies = merged.setdefault("policies", {})
            policies["extra_dirs"] = [*policies.get("extra_dirs", []), *raw]
        else:
            why = USER_ONLY_KEYS.get(("policies", key), "a project config can only add extra_dirs")
            refused.append(f"policies.{key}: {why}")


def stricter_level(current: str, proposed: str) -> bool:
    return _LEVELS.get(proposed, 0) > _LEVELS.get(current, 0)
