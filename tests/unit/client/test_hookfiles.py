"""Merging our hook entry into each tool's config, and taking exactly it out again."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from vectimus.client.hookfiles import TOOLS, hook_command, install, installed, is_ours, uninstall

CMD = "/opt/venv/bin/vectimus hook --source {tool}"


@pytest.mark.parametrize(
    ("command", "ours"),
    [
        ("/opt/venv/bin/vectimus hook --source claude-code", True),
        ("vectimus hook --source=cursor", True),
        ("'/path with space/vectimus' hook --source codex", True),
        ("vectimus eval --source claude-code", False),
        ("./scripts/guard.sh", False),
        ("my-vectimus hook --source x", False),
        ("echo vectimus hook --source x", False),
        (None, False),
        ("'unbalanced", False),
    ],
)
def test_is_ours(command: object, ours: bool) -> None:
    assert is_ours(command) is ours


def test_hook_command_quotes_paths() -> None:
    assert hook_command("/a b/vectimus", "gemini-cli") == "'/a b/vectimus' hook --source gemini-cli"
    assert is_ours(hook_command("/a b/vectimus", "gemini-cli"))


@pytest.mark.parametrize("tool", list(TOOLS))
def test_install_into_empty_skeleton_and_back(tool: str) -> None:
    spec = TOOLS[tool]
    doc: dict[str, Any] = copy.deepcopy(spec.skeleton)
    action, created = install(spec, doc, CMD.format(tool=tool))
    assert action == "added"
    assert installed(spec, doc) == list(spec.events)
    again = copy.deepcopy(doc)
    assert install(spec, again, CMD.format(tool=tool)) == ("unchanged", [])
    assert again == doc
    assert uninstall(spec, doc, created)
    assert doc == spec.skeleton


def test_repoints_a_moved_install_without_duplicating() -> None:
    spec = TOOLS["claude-code"]
    doc: dict[str, Any] = {}
    install(spec, doc, "/old/vectimus hook --source claude-code")
    action, _ = install(spec, doc, "/new/vectimus hook --source claude-code")
    assert action == "updated"
    groups = doc["hooks"]["PreToolUse"]
    assert len(groups) == 1 and groups[0]["hooks"][0]["command"].startswith("/new/")


def test_uninstall_keeps_user_hooks_sharing_a_group() -> None:
    spec = TOOLS["gemini-cli"]
    doc: dict[str, Any] = {
        "hooks": {
            "BeforeTool": [
                {
                    "matcher": ".*",
                    "hooks": [
                        {"type": "command", "command": "vectimus hook --source gemini-cli"},
                        {"type": "command", "command": "./audit.sh"},
                    ],
                }
            ]
        }
    }
    assert uninstall(spec, doc, None)
    assert doc == {
        "hooks": {
            "BeforeTool": [
                {"matcher": ".*", "hooks": [{"type": "command", "command": "./audit.sh"}]}
            ]
        }
    }


def test_user_empty_containers_survive_when_not_created_by_init() -> None:
    spec = TOOLS["cursor"]
    doc: dict[str, Any] = {"version": 1, "hooks": {"preToolUse": []}}
    _, created = install(spec, doc, "vectimus hook --source cursor")
    assert "hooks" not in created and "hooks/preToolUse" not in created
    uninstall(spec, doc, created)
    assert doc == {"version": 1, "hooks": {"preToolUse": []}}


def test_refuses_a_hooks_member_of_the_wrong_shape() -> None:
    with pytest.raises(ValueError, match="not a JSON object"):
        install(TOOLS["claude-code"], {"hooks": []}, "vectimus hook --source claude-code")
    with pytest.raises(ValueError, match="not a list"):
        install(TOOLS["codex"], {"hooks": {"PreToolUse": {}}}, "vectimus hook --source codex")
