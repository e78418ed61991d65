"""Each agent tool's hook config, and how Vectimus's entry is merged into it or taken out.

Pure functions over the parsed JSON documents; reading and writing files is
:mod:`vectimus.client.installer`. Formats, as each tool documents them:

- Claude Code, ``.claude/settings.json``: ``hooks.PreToolUse`` is a list of groups
  ``{"matcher", "hooks": [{"type": "command", "command", "timeout" (s)}]}``.
- Cursor, ``.cursor/hooks.json`` (``"version": 1``): ``hooks.<event>`` is a list of
  ``{"command"}``. The newer ``preToolUse`` fires for every tool; older versions fire only
  ``beforeShellExecution``, ``beforeMCPExecution`` and ``beforeReadFile``, so all four are
  registered (a newer Cursor asks twice about a shell command; both answers agree).
- GitHub Copilot (CLI and cloud agent), ``.github/hooks/vectimus.json`` (``"version": 1``):
  ``hooks.preToolUse`` is a list of ``{"type": "command", "bash", "powershell",
  "timeoutSec"}``. Copilot reads every ``*.json`` there, so ours is a file of its own.
- Gemini CLI, ``.gemini/settings.json``: ``hooks.BeforeTool`` is a list of groups
  ``{"matcher" (a regex), "hooks": [{"type": "command", "command", "name", "timeout" (ms)}]}``.
- Codex, ``.codex/hooks.json``: ``hooks.PreToolUse`` is a list of groups ``{"hooks":
  [{"type": "command", "command", "timeout" (s), "statusMessage"}]}`` (no matcher: every
  tool). Codex loads a project's ``.codex/`` only when the project is trusted.

Vectimus's entries are recognised by their command: ``<path>/vectimus hook --source <tool>``.
Everything else in a file (other hooks, other groups, other settings, key order) is kept.
"""

from __future__ import annotations

import os
import shlex
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

HOOK_TIMEOUT_S = 30
Document = dict[str, Any]


@dataclass(frozen=True)
class ToolSpec:
    name: str
    path: str  # relative to the project root
    skeleton: Document  # what a new file starts as
    events: tuple[str, ...]  # keys of the "hooks" table
    command_keys: tuple[str, ...]  # where one hook entry holds its command line
    entry: Callable[[str], dict[str, Any]]  # our entry (a group, or a flat hook)
    grouped: bool  # entries are groups {"matcher", "hooks": [...]}


def _claude(command: str) -> dict[str, Any]:
    hook = {"type": "command", "command": command, "timeout": HOOK_TIMEOUT_S}
    return {"matcher": "*", "hooks": [hook]}


def _cursor(command: str) -> dict[str, Any]:
    return {"command": command}


def _copilot(command: str) -> dict[str, Any]:
    return {"type": "command", "bash": command, "powershell": command, "timeoutSec": HOOK_TIMEOUT_S}


def _gemini(command: str) -> dict[str, Any]:
    hook = {"type": "command", "command": command, "name": "vectimus"}
    return {"matcher": ".*", "hooks": [{**hook, "timeout": HOOK_TIMEOUT_S * 1000}]}


def _codex(command: str) -> dict[str, Any]:
    hook = {"type": "command", "command": command, "timeout": HOOK_TIMEOUT_S}
    return {"hooks": [{**hook, "statusMessage": "Vectimus policy check"}]}


TOOLS: dict[str, ToolSpec] = {
    spec.name: spec
    for spec in (
        ToolSpec(
            "claude-code", ".claude/settings.json", {}, ("PreToolUse",), ("command",), _claude, True
        ),
        ToolSpec(
            "cursor",
            ".cursor/hooks.json",
            {"version": 1},
            ("preToolUse", "beforeShellExecution", "beforeMCPExecution", "beforeReadFile"),
            ("command",),
            _cursor,
            False,
        ),
        ToolSpec(
            "copilot",
            ".github/hooks/vectimus.json",
            {"version": 1},
            ("preToolUse",),
            ("bash", "powershell"),
            _copilot,
            False,
        ),
        ToolSpec(
            "gemini-cli", ".gemini/settings.json", {}, ("BeforeTool",), ("command",), _gemini, True
        ),
        ToolSpec("codex", ".codex/hooks.json", {}, ("PreToolUse",), ("command",), _codex, True),
    )
}


def hook_command(executable: str, source: str) -> str:
    return f"{shlex.quote(executable)} hook --source {source}"


def is_ours(command: object) -> bool:
    """True for a ``vectimus hook --source ...`` command line (any install path)."""
    if not isinstance(command, str):
        return False
    try:
        words = shlex.split(command)
    except ValueError:
        return False
    if len(words) < 3:
        return False
    program = os.path.basename(words[0]).removesuffix(".exe")
    return program == "vectimus" and words[1] == "hook" and words[2].startswith("--source")


def _hook_is_ours(spec: ToolSpec, hook: object) -> bool:
    return isinstance(hook, dict) and any(is_ours(hook.get(key)) for key in spec.command_keys)


def _event_list(doc: Document, event: str, created: list[str]) -> list[Any]:
    hooks = doc.get("hooks")
    if not isinstance(hooks, dict):
        if hooks is not None:
            raise ValueError('"hooks" is not a JSON object')
        hooks = doc["hooks"] = {}
        created.append("hooks")
    entries = hooks.get(event)
    if not isinstance(entries, list):
        if entries is not None:
            raise ValueError(f'"hooks.{event}" is not a list')
        entries = hooks[event] = []
        created.append(f"hooks/{event}")
    return entries


def _our_hooks(spec: ToolSpec, entries: list[Any]) -> list[dict[str, Any]]:
    """Our hook objects in one event's list (inside groups, or flat)."""
    found: list[dict[str, Any]] = []
    for entry in entries:
        inner = entry.get("hooks") if spec.grouped and isinstance(entry, dict) else [entry]
        found.extend(h for h in inner or () if _hook_is_ours(spec, h))
    return found


def install(spec: ToolSpec, doc: Document, command: str) -> tuple[str, list[str]]:
    """Add (or repoint) our entry for every event.

    Returns what happened (``added``, ``updated``: an entry of ours now runs ``command``, or
    ``unchanged``) and the containers created on the way.
    """
    action = "unchanged"
    created: list[str] = []
    for event in spec.events:
        entries = _event_list(doc, event, created)
        ours = _our_hooks(spec, entries)
        if not ours:
            entries.append(spec.entry(command))
            action = "added"
            continue
        for hook in ours:
            for key in spec.command_keys:
                if key in hook and hook[key] != command:
                    hook[key] = command
                    action = "updated" if action == "unchanged" else action
    return action, created


def installed(spec: ToolSpec, doc: Document) -> list[str]:
    """The events that have our entry."""
    hooks = doc.get("hooks")
    if not isinstance(hooks, dict):
        return []
    return [
        event
        for event in spec.events
        if isinstance(hooks.get(event), list) and _our_hooks(spec, hooks[event])
    ]


def uninstall(spec: ToolSpec, doc: Document, created: list[str] | None) -> bool:
    """Take our entries out; drop the containers init created once they are empty.

    ``created`` is what :func:`install` reported (None when unknown: then any container
    left empty is dropped).
    """
    hooks = doc.get("hooks")
    if not isinstance(hooks, dict):
        return False
    changed = False
    for event in spec.events:
        entries = hooks.get(event)
        if not isinstance(entries, list):
            continue
        kept = []
        for entry in entries:
            if spec.grouped and isinstance(entry, dict) and isinstance(entry.get("hooks"), list):
                inner = [h for h in entry["hooks"] if not _hook_is_ours(spec, h)]
                if len(inner) != len(entry["hooks"]):
                    changed = True
                    if not inner:
                        continue  # the group held only our hook: it was ours
                    entry["hooks"] = inner
            elif _hook_is_ours(spec, entry):
                changed = True
                continue
            kept.append(entry)
        entries[:] = kept
        if not entries and (created is None or f"hooks/{event}" in created):
            del hooks[event]
    if not hooks and (created is None or "hooks" in created):
        del doc["hooks"]
    return changed
