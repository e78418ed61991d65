"""`vectimus init`, `remove`, `status` and `observe` on a project with real existing configs."""

from __future__ import annotations

import json
import stat
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.integration.client.conftest import RM_ROOT, run_hook, vectimus
from vectimus.client.hookfiles import is_ours

CLAUDE = {
    "$schema": "https://json.schemastore.org/claude-code-settings.json",
    "permissions": {"allow": ["Bash(npm run test:*)"], "deny": ["Read(./.env)"]},
    "env": {"NODE_ENV": "development"},
    "hooks": {
        "PreToolUse": [
            {
                "matcher": "Bash",
                "hooks": [{"type": "command", "command": "./scripts/guard.sh", "timeout": 10}],
            }
        ],
        "PostToolUse": [
            {
                "matcher": "Edit|Write",
                "hooks": [{"type": "command", "command": "npx prettier --write"}],
            }
        ],
    },
}
CURSOR = {
    "version": 1,
    "hooks": {
        "afterFileEdit": [{"command": "./hooks/format.sh"}],
        "beforeShellExecution": [{"command": "./hooks/audit-shell.sh"}],
    },
}
COPILOT_OTHER = {
    "version": 1,
    "hooks": {
        "sessionStart": [
            {"type": "command", "bash": "echo start >> logs/session.log", "timeoutSec": 10}
        ]
    },
}
GEMINI = {
    "theme": "GitHub",
    "mcpServers": {
        "github": {"command": "npx", "args": ["-y", "@modelcontextprotocol/server-github"]}
    },
    "hooks": {
        "BeforeTool": [
            {
                "matcher": "write_file|replace",
                "hooks": [{"type": "command", "command": "./lint.sh", "name": "lint"}],
            }
        ],
        "AfterAgent": [{"hooks": [{"type": "command", "command": "./notify.sh"}]}],
    },
}
CODEX = {
    "hooks": {
        "SessionStart": [
            {
                "matcher": "startup|resume",
                "hooks": [{"type": "command", "command": "sh .codex/start.sh"}],
            }
        ]
    }
}
EXISTING = {
    ".claude/settings.json": CLAUDE,
    ".cursor/hooks.json": CURSOR,
    ".github/hooks/team.json": COPILOT_OTHER,
    ".gemini/settings.json": GEMINI,
    ".codex/hooks.json": CODEX,
}


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "shop"
    (root / ".git").mkdir(parents=True)
    for relative, content in EXISTING.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(content, indent=4) + "\n")
    return root


def snapshot(root: Path) -> dict[str, tuple[bytes, int]]:
    return {
        str(path.relative_to(root)): (path.read_bytes(), path.stat().st_mtime_ns)
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


def our_commands(doc: Any) -> list[str]:
    found: list[str] = []
    if isinstance(doc, dict):
        for value in doc.values():
            found += our_commands(value)
    elif isinstance(doc, list):
        for value in doc:
            found += our_commands(value)
    elif is_ours(doc):
        found.append(doc)
    return found


def test_init_all_merges_keeps_everything_and_is_idempotent(
    project: Path, vectimus_home: Path, runtime_dir: Path
) -> None:
    first = vectimus("init", "--tools", "all", cwd=project)
    assert first.returncode == 0, first.stderr
    executable = str(Path(sys.executable).with_name("vectimus"))
    claude = json.loads((project / ".claude/settings.json").read_text())
    assert claude["permissions"] == CLAUDE["permissions"] and claude["env"] == CLAUDE["env"]
    assert claude["hooks"]["PostToolUse"] == CLAUDE["hooks"]["PostToolUse"]
    pre = claude["hooks"]["PreToolUse"]
    assert pre[0] == CLAUDE["hooks"]["PreToolUse"][0]
    assert pre[1] == {
        "matcher": "*",
        "hooks": [
            {"type": "command", "command": f"{executable} hook --source claude-code", "timeout": 30}
        ],
    }
    cursor = json.loads((project / ".cursor/hooks.json").read_text())
    assert cursor["hooks"]["afterFileEdit"] == CURSOR["hooks"]["afterFileEdit"]
    assert cursor["hooks"]["beforeShellExecution"][0] == {"command": "./hooks/audit-shell.sh"}
    assert set(cursor["hooks"]) == {
        "afterFileEdit",
        "beforeShellExecution",
        "preToolUse",
        "beforeMCPExecution",
        "beforeReadFile",
    }
    copilot = json.loads((project / ".github/hooks/vectimus.json").read_text())
    assert copilot["version"] == 1
    assert copilot["hooks"]["preToolUse"][0]["bash"] == f"{executable} hook --source copilot"
    assert json.loads((project / ".github/hooks/team.json").read_text()) == COPILOT_OTHER
    gemini = json.loads((project / ".gemini/settings.json").read_text())
    assert gemini["theme"] == "GitHub" and gemini["mcpServers"] == GEMINI["mcpServers"]
    assert gemini["hooks"]["AfterAgent"] == GEMINI["hooks"]["AfterAgent"]
    assert gemini["hooks"]["BeforeTool"][1]["hooks"][0]["name"] == "vectimus"
    codex = json.loads((project / ".codex/hooks.json").read_text())
    assert codex["hooks"]["SessionStart"] == CODEX["hooks"]["SessionStart"]
    assert our_commands(codex) == [f"{executable} hook --source codex"]
    # Indentation is kept (the files were written with 4 spaces).
    assert (project / ".claude/settings.json").read_text().startswith('{\n    "$schema"')
    assert stat.S_IMODE((vectimus_home / "daemon-secret").stat().st_mode) == 0o600
    assert (vectimus_home / "signing-key.pem").exists() and list(
        (vectimus_home / "keys").glob("*.pem")
    )
    assert "signing key: ed25519:" in first.stdout

    before = snapshot(project)
    second = vectimus("init", "--tools", "all", cwd=project)
    assert second.returncode == 0 and second.stdout.count("already installed") == 5
    assert snapshot(project) == before, "a second init changes nothing, not even an mtime"


def test_remove_restores_exactly(project: Path, runtime_dir: Path) -> None:
    originals = {relative: (project / relative).read_text() for relative in EXISTING}
    assert vectimus("init", "--tools", "all", cwd=project).returncode == 0
    removed = vectimus("remove", cwd=project)
    assert removed.returncode == 0, removed.stderr
    for relative, text in originals.items():
        assert json.loads((project / relative).read_text()) == json.loads(text), relative
    assert not (project / ".github/hooks/vectimus.json").exists()
    assert (project / ".github/hooks/team.json").exists()
    assert vectimus("remove", cwd=project).returncode == 0  # twice: nothing left to do


def test_remove_takes_away_what_init_created(tmp_path: Path, runtime_dir: Path) -> None:
    root = tmp_path / "fresh"
    (root / ".git").mkdir(parents=True)
    assert vectimus("init", "--tools", "claude-code,copilot,gemini-cli", cwd=root).returncode == 0
    assert (root / ".claude/settings.json").exists() and (
        root / ".github/hooks/vectimus.json"
    ).exists()
    assert vectimus("remove", cwd=root).returncode == 0
    assert sorted(p.name for p in root.iterdir()) == [".git"]


def test_default_tools_are_the_ones_the_project_uses(tmp_path: Path, runtime_dir: Path) -> None:
    root = tmp_path / "app"
    (root / ".git").mkdir(parents=True)
    (root / ".gemini").mkdir()
    done = vectimus("init", cwd=root)
    assert "gemini-cli" in done.stdout and "claude-code" not in done.stdout
    bare = tmp_path / "bare"
    (bare / ".git").mkdir(parents=True)
    assert "claude-code" in vectimus("init", cwd=bare).stdout


def test_a_broken_file_is_not_touched(project: Path, runtime_dir: Path) -> None:
    broken = project / ".gemini/settings.json"
    broken.write_text('{ "theme": "GitHub", // a comment\n }')
    done = vectimus("init", "--tools", "gemini-cli,claude-code", cwd=project)
    assert (
        done.returncode == 1
        and "NOT CHANGED" in done.stdout
        and "add the hook by hand" in done.stdout
    )
    assert broken.read_text() == '{ "theme": "GitHub", // a comment\n }'
    assert our_commands(json.loads((project / ".claude/settings.json").read_text()))


def test_unknown_tool(project: Path) -> None:
    done = vectimus("init", "--tools", "claude-code,vim", cwd=project)
    assert done.returncode == 2 and "unknown tool(s) vim" in done.stderr


def test_server_url_goes_to_the_user_config(
    project: Path, vectimus_home: Path, runtime_dir: Path
) -> None:
    config = vectimus_home / "config.toml"
    config.write_text("# mine\n[rules]\ndisabled = []\n")
    done = vectimus(
        "init", "--server-url", "https://gw.example.com:8420", "--tools", "claude-code", cwd=project
    )
    assert done.returncode == 0, done.stderr
    text = config.read_text()
    assert text.startswith("# mine\n") and '[server]\nurl = "https://gw.example.com:8420"' in text
    bad = vectimus("init", "--server-url", "gw.example.com", cwd=project)
    assert bad.returncode == 2 and "not http:// or https://" in bad.stderr
    assert vectimus("remove", "--server-url", cwd=project).returncode == 0
    assert "[server]" not in config.read_text() and config.read_text().startswith("# mine\n")


def test_status_names_what_is_installed_and_the_evaluator(
    project: Path, runtime_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    vectimus("init", "--tools", "claude-code,cursor", cwd=project)
    done = vectimus("status", cwd=project)
    assert done.returncode == 0, done.stderr
    assert "claude-code  .claude/settings.json (PreToolUse)" in done.stdout
    assert "codex        not installed" in done.stdout
    assert "evaluator: inline" in done.stdout
    assert "policies:" in done.stdout and " rules (" in done.stdout
    gone = vectimus("status", env={"VECTIMUS_SERVER_URL": "http://127.0.0.1:9"}, cwd=project)
    assert "is not answering" in gone.stdout


def test_status_with_a_gateway_and_a_daemon(
    project: Path, daemon: dict[str, Any], gateway: Any
) -> None:
    done = vectimus("status", env={"VECTIMUS_SERVER_URL": gateway.url}, cwd=project)
    assert f"evaluator: gateway {gateway.url}" in done.stdout
    assert f"daemon: running, pid {daemon['pid']}" in done.stdout
    local = vectimus("status", cwd=project)
    assert "evaluator: local daemon" in local.stdout


def test_observe_on_off_status(project: Path, vectimus_home: Path, daemon: dict[str, Any]) -> None:
    on = vectimus("observe", "on", cwd=project)
    assert on.returncode == 0 and "observe mode: ON" in on.stdout
    assert "observe = true" in (vectimus_home / "config.toml").read_text()
    allowed = run_hook("claude-code", RM_ROOT)
    assert allowed.returncode == 0 and allowed.stdout == b"", "observe mode logs, never blocks"
    off = vectimus("observe", "off", cwd=project)
    assert off.returncode == 0 and "observe mode: off" in off.stdout
    assert b"deny" in run_hook("claude-code", RM_ROOT).stdout
    status = vectimus("observe", "status", env={"VECTIMUS_OBSERVE": "1"}, cwd=project)
    assert "observe mode: ON" in status.stdout and "VECTIMUS_OBSERVE=1" in status.stdout
