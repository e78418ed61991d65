"""`vectimus init` and `vectimus remove` on disk: each tool's hook file in a project.

A file is only written when something changes (so a second ``init`` leaves every file and
its mtime alone), atomically, keeping its mode and indentation. A file that is not valid JSON
is never touched: the user is told what to add by hand. What ``init`` created (the file, its
directories, the ``hooks`` containers) is noted in ``~/.vectimus/installed.json``, so
``remove`` takes away exactly that and leaves what the user had.
"""

from __future__ import annotations

import copy
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from vectimus.client.hookfiles import TOOLS, ToolSpec, hook_command, install, installed, uninstall
from vectimus.core.paths import vectimus_home

MANIFEST = "installed.json"


@dataclass(frozen=True)
class Change:
    tool: str
    path: Path
    action: str  # added | updated | unchanged | removed | absent | error
    detail: str = ""


class _BadFileError(Exception):
    pass


def _manifest_path() -> Path:
    return vectimus_home() / MANIFEST


def _read_manifest() -> dict[str, Any]:
    try:
        data = json.loads(_manifest_path().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {"version": 1, "files": {}}
    if not isinstance(data, dict) or not isinstance(data.get("files"), dict):
        return {"version": 1, "files": {}}
    return data


def _write_manifest(data: dict[str, Any]) -> None:
    path = _manifest_path()
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    _write_atomic(path, json.dumps(data, indent=2) + "\n", 0o600)


def _read_doc(path: Path) -> dict[str, Any] | None:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    try:
        doc = json.loads(text) if text.strip() else {}
    except ValueError as exc:
        raise _BadFileError(f"not valid JSON ({exc}); not touched") from None
    if not isinstance(doc, dict):
        raise _BadFileError("not a JSON object; not touched")
    return doc


def _indent(path: Path) -> int | str:
    try:
        for line in path.read_text(encoding="utf-8").splitlines()[1:]:
            stripped = line.lstrip(" \t")
            if stripped and stripped != line:
                leading = line[: len(line) - len(stripped)]
                return "\t" if leading.startswith("\t") else len(leading)
    except OSError:
        pass
    return 2


def _write_atomic(path: Path, text: str, mode: int) -> None:
    temp = path.with_name(f".{path.name}.vectimus-{os.getpid()}")
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
    os.chmod(temp, mode)
    temp.replace(path)


def _write_doc(path: Path, doc: dict[str, Any]) -> None:
    mode = path.stat().st_mode & 0o777 if path.exists() else 0o644
    indent = _indent(path) if path.exists() else 2
    _write_atomic(path, json.dumps(doc, indent=indent, ensure_ascii=False) + "\n", mode)


def _missing_dirs(path: Path, root: Path) -> list[Path]:
    missing = []
    for parent in path.parents:
        if parent == root or parent.exists():
            break
        missing.append(parent)
    return missing  # deepest first


def _install_one(spec: ToolSpec, root: Path, command: str, manifest: dict[str, Any]) -> Change:
    path = root / spec.path
    try:
        doc = _read_doc(path)
    except _BadFileError as exc:
        return Change(spec.name, path, "error", f"{exc}; add the hook by hand: {command}")
    new_file = doc is None
    if doc is None:
        doc = copy.deepcopy(spec.skeleton)
    try:
        action, created = install(spec, doc, command)
    except ValueError as exc:
        return Change(spec.name, path, "error", f"{exc}; not touched")
    if action == "unchanged":
        return Change(spec.name, path, "unchanged")
    dirs = _missing_dirs(path, root)
    for directory in reversed(dirs):
        directory.mkdir(mode=0o755)
    _write_doc(path, doc)
    key = str(path)
    if key not in manifest["files"] or new_file:
        manifest["files"][key] = {
            "tool": spec.name,
            "created_file": new_file,
            "created_dirs": [str(d) for d in dirs],
            "created": created,
        }
    return Change(spec.name, path, action)


def install_tools(root: Path, tools: list[str], executable: str) -> list[Change]:
    manifest = _read_manifest()
    changes = [
        _install_one(TOOLS[name], root, hook_command(executable, name), manifest) for name in tools
    ]
    if any(c.action in {"added", "updated"} for c in changes):
        _write_manifest(manifest)
    return changes


def _remove_one(spec: ToolSpec, root: Path, manifest: dict[str, Any]) -> Change:
    path = root / spec.path
    record = manifest["files"].pop(str(path), None)
    try:
        doc = _read_doc(path)
    except _BadFileError as exc:
        return Change(spec.name, path, "error", str(exc))
    if doc is None:
        return Change(spec.name, path, "absent")
    created = record.get("created") if isinstance(record, dict) else None
    if not uninstall(spec, doc, created):
        return Change(spec.name, path, "absent")
    if isinstance(record, dict) and record.get("created_file") and doc in ({}, spec.skeleton):
        path.unlink()
        for directory in record.get("created_dirs", []):
            try:
                Path(directory).rmdir()
            except OSError:
                break  # not empty (the user put something there): keep it and its parents
    else:
        _write_doc(path, doc)
    return Change(spec.name, path, "removed")


def remove_tools(root: Path, tools: list[str]) -> list[Change]:
    manifest = _read_manifest()
    changes = [_remove_one(TOOLS[name], root, manifest) for name in tools]
    if any(change.action != "absent" for change in changes):
        _write_manifest(manifest)
    return changes


def installed_tools(root: Path) -> dict[str, tuple[Path, list[str]]]:
    """For each tool with our hook in ``root``: its file and the events hooked."""
    found = {}
    for spec in TOOLS.values():
        path = root / spec.path
        try:
            doc = _read_doc(path)
        except _BadFileError:
            continue
        events = installed(spec, doc) if doc is not None else []
        if events:
            found[spec.name] = (path, events)
    return found


def detected_tools(root: Path) -> list[str]:
    """The tools a project shows signs of using (their config directories)."""
    marks = {
        "claude-code": ".claude",
        "cursor": ".cursor",
        "copilot": ".github/hooks",
        "gemini-cli": ".gemini",
        "codex": ".codex",
    }
    return [tool for tool, mark in marks.items() if (root / mark).is_dir()]
