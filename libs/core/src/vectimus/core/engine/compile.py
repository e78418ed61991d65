"""Load policy packs from disk and compile them once into per-action policy sets.

Compiling means: parse every file, validate it against the schema, read the annotations of
each rule into a table, and index the rules by the actions they apply to. The result is a
plain record that can be cached, so a short-lived hook process can skip this work.
"""

from __future__ import annotations

import hashlib
import json
import tomllib
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import cedarpy
import msgspec

from vectimus.core.engine.compiled import (
    ACTION_ENTITY,
    CompiledPolicies,
    cedar_schema,
    schema_text,
)
from vectimus.core.engine.rules import ENFORCEMENTS, Enforcement, RuleInfo
from vectimus.core.engine.statements import split_statements
from vectimus.core.errors import PolicyLoadError
from vectimus.core.events import ACTION_TYPES

_PACK_KEYS = {"name", "version", "description"}


class PolicyFile(msgspec.Struct, frozen=True, kw_only=True):
    pack: str
    pack_version: str
    path: str
    text: str


def load_policy_dirs(
    dirs: Iterable[Path], *, disabled_packs: Iterable[str] = ()
) -> list[PolicyFile]:
    """Read every pack under each directory (a dir holding pack.toml and *.cedar files).

    A directory that is itself a pack, or that holds *.cedar files directly, counts as one
    pack. Files are read in a fixed order so the policy-set hash is stable.
    """
    skip = set(disabled_packs)
    files: list[PolicyFile] = []
    for given in dirs:
        # Absolute, so a pack named after its directory has the same name (and the set the
        # same hash) however the path is spelled: "." and /srv/policies/acme are one pack.
        root = given.expanduser().resolve()
        if not root.is_dir():
            raise PolicyLoadError(f"policy directory {root} does not exist or is not a directory")
        for pack_dir in pack_dirs(root):
            name, version = read_manifest(pack_dir)
            if name in skip:
                continue
            for path in sorted(pack_dir.glob("*.cedar")):
                text = _read_text(path)
                files.append(PolicyFile(pack=name, pack_version=version, path=str(path), text=text))
    return files


def pack_dirs(root: Path) -> list[Path]:
    """The packs under ``root``: ``root`` itself if it is one, else its pack subdirectories."""
    return [root] if _is_pack(root) else sorted(p for p in root.iterdir() if _is_pack(p))


def _is_pack(path: Path) -> bool:
    return path.is_dir() and ((path / "pack.toml").is_file() or any(path.glob("*.cedar")))


def _read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise PolicyLoadError(f"{path}: cannot read policy file: {exc}") from exc


def read_manifest(pack_dir: Path) -> tuple[str, str]:
    """A pack's (name, version) from its pack.toml (the directory name and "0" without one)."""
    name, version, _ = read_pack_info(pack_dir)
    return name, version


def read_pack_info(pack_dir: Path) -> tuple[str, str, str]:
    """A pack's (name, version, description) from its pack.toml."""
    manifest = pack_dir / "pack.toml"
    if not manifest.is_file():
        return pack_dir.name, "0", ""
    return parse_pack_info(_read_text(manifest), str(manifest))


def parse_pack_info(text: str, manifest: str) -> tuple[str, str, str]:
    """(name, version, description) from a pack.toml's text; ``manifest`` names it in errors."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise PolicyLoadError(f"{manifest}: invalid TOML: {exc}") from exc
    unknown = set(data) - _PACK_KEYS
    if unknown:
        raise PolicyLoadError(
            f"{manifest}: unknown key(s) {sorted(unknown)}; allowed: name, version, description"
        )
    name, version = data.get("name"), data.get("version")
    if not isinstance(name, str) or not name:
        raise PolicyLoadError(f"{manifest}: 'name' must be a non-empty string")
    if not isinstance(version, str) or not version:
        raise PolicyLoadError(f"{manifest}: 'version' must be a non-empty string")
    description = data.get("description", "")
    if not isinstance(description, str):
        raise PolicyLoadError(f"{manifest}: 'description' must be a string")
    return name, version, description


def compile_policies(files: Sequence[PolicyFile]) -> CompiledPolicies:
    """Parse, validate and index ``files``. Any problem stops the load with file and line."""
    rules: dict[str, RuleInfo] = {}
    policies: dict[str, dict[str, Any]] = {}
    texts: dict[str, str] = {}
    packs: dict[str, str] = {}
    digest = hashlib.sha256(schema_text().encode())
    for policy_file in files:
        packs[policy_file.pack] = policy_file.pack_version
        digest.update(b"\0" + policy_file.pack.encode() + b"\0" + policy_file.text.encode())
        for rule, body, text in _compile_file(policy_file):
            if rule.id in rules:
                first = rules[rule.id]
                raise PolicyLoadError(
                    f"{rule.file}:{rule.line}: duplicate rule id {rule.id!r} "
                    f"(first defined at {first.file}:{first.line})"
                )
            rules[rule.id] = rule
            policies[rule.id] = body
            if text:
                texts[rule.id] = text
    return CompiledPolicies(
        rules=rules,
        policies=policies,
        packs=packs,
        policy_set_hash=digest.hexdigest(),
        texts=texts,
    )


def _compile_file(policy_file: PolicyFile) -> list[tuple[RuleInfo, dict[str, Any], str]]:
    path, text = policy_file.path, policy_file.text
    statements = split_statements(text)
    try:
        est = json.loads(cedarpy.policies_to_json_str(text))
    except ValueError as exc:
        line, message = _locate_parse_error(statements, str(exc))
        raise PolicyLoadError(f"{path}:{line}: Cedar parse error: {message}") from exc
    if est.get("templates"):
        raise PolicyLoadError(
            f"{path}: templates (?principal, ?resource) are not supported in packs"
        )
    result = cedarpy.validate_policies(text, cedar_schema())
    if not result.validation_passed:
        raise PolicyLoadError(_validation_message(path, statements, est, result.errors))
    policies = est.get("staticPolicies", {})
    # Each statement's own text, when the statements line up with Cedar's policies one to one.
    aligned = len(statements) == len(policies)
    compiled = []
    for index, (positional_id, body) in enumerate(policies.items()):
        line = _line_of(statements, positional_id, index)
        text = statements[index][1] if aligned else ""
        compiled.append((_rule_info(policy_file, line, body), body, text))
    return compiled


def _line_of(statements: list[tuple[int, str]], positional_id: str, fallback: int) -> int:
    index = (
        int(positional_id.removeprefix("policy"))
        if positional_id.startswith("policy")
        else fallback
    )
    return statements[index][0] if index < len(statements) else 0


def _locate_parse_error(statements: list[tuple[int, str]], message: str) -> tuple[int, str]:
    for line, statement in statements:
        try:
            cedarpy.policies_to_json_str(statement)
        except ValueError as exc:
            return line, str(exc)
    return (statements[-1][0] if statements else 1), message


def _validation_message(
    path: str,
    statements: list[tuple[int, str]],
    est: dict[str, Any],
    errors: Sequence[cedarpy.ValidationError],
) -> str:
    ids = list(est.get("staticPolicies", {}))
    lines = []
    seen: set[tuple[str, str]] = set()
    for error in errors:
        # Cedar repeats one error per action the rule applies to; one line per rule is enough.
        text = error.error.split(" for Vectimus::Action::", 1)[0]
        if (error.policy_id, text) in seen:
            continue
        seen.add((error.policy_id, text))
        index = ids.index(error.policy_id) if error.policy_id in ids else 0
        rule_id = (
            est["staticPolicies"].get(error.policy_id, {}).get("annotations", {}).get("id", "")
        )
        where = f"{path}:{_line_of(statements, error.policy_id, index)}"
        lines.append(f"{where}: rule {rule_id or error.policy_id} fails schema validation: {text}")
    return "\n".join(lines)


def _rule_info(policy_file: PolicyFile, line: int, body: dict[str, Any]) -> RuleInfo:
    where = f"{policy_file.path}:{line}"
    annotations: dict[str, str] = body.get("annotations") or {}
    rule_id = annotations.get("id", "")
    if not rule_id:
        raise PolicyLoadError(f'{where}: every rule needs an @id("...") annotation')
    if body.get("effect") != "forbid":
        raise PolicyLoadError(
            f"{where}: rule {rule_id} is a permit; Vectimus rules are forbid rules "
            "(everything not forbidden is allowed; write exceptions with `unless`)"
        )
    enforcement = annotations.get("enforcement", "deny")
    if enforcement not in ENFORCEMENTS:
        raise PolicyLoadError(
            f"{where}: rule {rule_id}: @enforcement must be one of {', '.join(ENFORCEMENTS)}"
        )
    level: Enforcement = enforcement
    controls = tuple(c.strip() for c in annotations.get("controls", "").split(",") if c.strip())
    return RuleInfo(
        id=rule_id,
        description=annotations.get("description", ""),
        suggested_alternative=annotations.get("suggested_alternative", ""),
        incident=annotations.get("incident", ""),
        controls=controls,
        enforcement=level,
        pack=policy_file.pack,
        file=policy_file.path,
        line=line,
        actions=_actions_of(body, where, rule_id),
    )


def _actions_of(body: dict[str, Any], where: str, rule_id: str) -> tuple[str, ...]:
    scope = body.get("action", {})
    op = scope.get("op")
    if op == "All":
        return ACTION_TYPES
    entities = (
        [scope.get("entity")] if op == "==" else scope.get("entities") or [scope.get("entity")]
    )
    actions = []
    for entity in entities:
        if not isinstance(entity, dict) or entity.get("type") != ACTION_ENTITY:
            raise PolicyLoadError(
                f"{where}: rule {rule_id}: action scope must name Vectimus::Action entities"
            )
        actions.append(str(entity.get("id")))
    return tuple(actions)
