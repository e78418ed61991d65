"""The daemon: lifecycle, idle exit, warm engines that follow file changes, temporary disables."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest

from tests.integration.client.conftest import RM_ROOT, run_hook, vectimus, wait_for
from vectimus.client import control, locations


def decision(result: Any) -> str:
    if not result.stdout:
        return "allow"
    return str(json.loads(result.stdout)["hookSpecificOutput"]["permissionDecision"])


class TestLifecycle:
    def test_start_status_stop(self, daemon_env: Path, vectimus_home: Path) -> None:
        started = vectimus("daemon", "start")
        assert started.returncode == 0 and "daemon running" in started.stdout
        path = Path(locations.socket_path())
        info = path.lstat()
        assert stat.S_ISSOCK(info.st_mode) and stat.S_IMODE(info.st_mode) == 0o600
        secret = vectimus_home / "daemon-secret"
        assert stat.S_IMODE(secret.stat().st_mode) == 0o600
        assert vectimus("daemon", "start").returncode == 0  # already running: fine
        status = vectimus("daemon", "status")
        assert status.returncode == 0 and "running" in status.stdout
        as_json = json.loads(vectimus("daemon", "status", "--json").stdout)
        assert as_json["socket"] == str(path) and as_json["idle_timeout_s"] == 120
        stopped = vectimus("daemon", "stop")
        assert stopped.returncode == 0 and "stopped" in stopped.stdout
        assert not path.exists()
        assert vectimus("daemon", "status").returncode == 1

    def test_a_second_daemon_exits_and_leaves_the_first(self, daemon: dict[str, Any]) -> None:
        second = vectimus("daemon", "run")
        assert second.returncode == 0
        status = control.status()
        assert status is not None and status["pid"] == daemon["pid"]

    def test_idle_exit(self, daemon_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("VECTIMUS_DAEMON_IDLE", "1")
        pid = control.start_daemon()["pid"]
        assert decision(run_hook("claude-code", RM_ROOT)) == "deny"
        assert wait_for(lambda: locations.socket_state(locations.socket_path()) == "missing", 10)
        assert wait_for(lambda: not _alive(pid), 5)

    def test_sigterm_drains_and_exits(self, daemon: dict[str, Any]) -> None:
        os.kill(daemon["pid"], 15)
        assert wait_for(lambda: not _alive(daemon["pid"]), 10)
        assert locations.socket_state(locations.socket_path()) == "missing"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie (our own child in some runs) counts as gone
        with open(f"/proc/{pid}/stat") as handle:  # noqa: PTH123
            return handle.read().split()[2] != "Z"
    except OSError:
        return False


class TestWarmEngines:
    def test_a_policy_edit_is_seen_on_the_next_call(
        self, daemon: dict[str, Any], single_rule: Path
    ) -> None:
        ls_root = {**RM_ROOT, "tool_input": {"command": "ls /"}}
        assert decision(run_hook("claude-code", RM_ROOT)) == "deny"
        assert decision(run_hook("claude-code", ls_root)) == "allow"
        builds = control.status()["engine_builds"]  # type: ignore[index]
        (single_rule / "ls.cedar").write_text(
            '@id("test-no-ls-root")\n@description("ls of the root")\n'
            'forbid (principal, action == Vectimus::Action::"shell_command", resource)\n'
            'when { context.program == "ls" && context.args.contains("/") };\n'
        )
        assert decision(run_hook("claude-code", ls_root)) == "deny"
        assert control.status()["engine_builds"] > builds  # type: ignore[index]
        (single_rule / "ls.cedar").unlink()
        assert decision(run_hook("claude-code", ls_root)) == "allow"

    def test_a_user_config_edit_is_seen(
        self, daemon: dict[str, Any], single_rule: Path, vectimus_home: Path
    ) -> None:
        assert decision(run_hook("claude-code", RM_ROOT)) == "deny"
        (vectimus_home / "config.toml").write_text('[rules]\ndisabled = ["test-no-rm-root"]\n')
        assert decision(run_hook("claude-code", RM_ROOT)) == "allow"
        (vectimus_home / "config.toml").write_text("observe = false\n")
        assert decision(run_hook("claude-code", RM_ROOT)) == "deny"

    def test_reload_drops_the_engines(self, daemon: dict[str, Any], single_rule: Path) -> None:
        run_hook("claude-code", RM_ROOT)
        builds = control.status()["engine_builds"]  # type: ignore[index]
        assert control.reload_daemon()
        assert control.status()["projects"] == []  # type: ignore[index]
        run_hook("claude-code", RM_ROOT)
        assert control.status()["engine_builds"] == builds + 1  # type: ignore[index]

    def test_the_daemon_writes_the_trail(
        self, daemon: dict[str, Any], single_rule: Path, vectimus_home: Path
    ) -> None:
        results = [run_hook("claude-code", RM_ROOT) for _ in range(3)]
        receipt_ids = [
            json.loads(r.stdout)["hookSpecificOutput"]["permissionDecisionReason"].rsplit(" ", 1)[
                -1
            ]
            for r in results
        ]
        audit = vectimus_home / "logs" / "audit.jsonl"
        assert wait_for(lambda: audit.exists() and len(audit.read_text().splitlines()) >= 3)
        recorded = [json.loads(line)["receipt_id"] for line in audit.read_text().splitlines()]
        assert set(receipt_ids) <= set(recorded)
        receipts = list((vectimus_home / "receipts").rglob("*.json"))
        assert wait_for(lambda: len(list((vectimus_home / "receipts").rglob("*.json"))) >= 3), (
            receipts
        )
        assert control.status()["trail"]["failed"] == 0  # type: ignore[index]


class TestTemporaryDisable:
    def test_disable_then_expiry(
        self, daemon: dict[str, Any], single_rule: Path, tmp_path: Path
    ) -> None:
        # RM_ROOT runs in /tmp, outside any project: disable it there (from a non-project dir).
        assert decision(run_hook("claude-code", RM_ROOT)) == "deny"
        done = vectimus("daemon", "disable", "test-no-rm-root", "--for", "2s", cwd=tmp_path)
        assert done.returncode == 0, done.stderr
        assert "held in daemon memory only" in done.stdout
        assert decision(run_hook("claude-code", RM_ROOT)) == "allow"
        listing = control.status()["temporary_disables"]  # type: ignore[index]
        assert any("test-no-rm-root" in rules for rules in listing.values())
        time.sleep(2.2)
        assert decision(run_hook("claude-code", RM_ROOT)) == "deny"

    def test_scoped_to_the_project(
        self, daemon: dict[str, Any], single_rule: Path, tmp_path: Path
    ) -> None:
        one, two = tmp_path / "one", tmp_path / "two"
        for project in (one, two):
            (project / ".git").mkdir(parents=True)
        assert (
            vectimus("daemon", "disable", "test-no-rm-root", "--for", "5m", cwd=one).returncode == 0
        )
        in_one = {**RM_ROOT, "cwd": str(one)}
        in_two = {**RM_ROOT, "cwd": str(two)}
        assert decision(run_hook("claude-code", in_one)) == "allow"
        assert decision(run_hook("claude-code", in_two)) == "deny"
        assert vectimus("daemon", "enable", "test-no-rm-root", cwd=one).returncode == 0
        assert decision(run_hook("claude-code", in_one)) == "deny"

    def test_forgotten_when_the_daemon_restarts(
        self, daemon: dict[str, Any], single_rule: Path, tmp_path: Path
    ) -> None:
        done = control.disable_temporarily("test-no-rm-root", 600, cwd=tmp_path)
        assert done == {"project": "", "rule": "test-no-rm-root", "seconds": 600}
        assert decision(run_hook("claude-code", RM_ROOT)) == "allow"
        assert control.stop_daemon()
        control.start_daemon()
        assert decision(run_hook("claude-code", RM_ROOT)) == "deny"

    def test_unknown_rule_and_bad_duration_refused(
        self, daemon: dict[str, Any], single_rule: Path
    ) -> None:
        unknown = vectimus("daemon", "disable", "no-such-rule", "--for", "5m")
        assert unknown.returncode == 1 and "unknown rule id" in unknown.stderr
        too_long = vectimus("daemon", "disable", "test-no-rm-root", "--for", "3d")
        assert too_long.returncode == 2 and "at most 24h" in too_long.stderr
        assert decision(run_hook("claude-code", RM_ROOT)) == "deny"


class TestConcurrency:
    def test_concurrent_calls_are_all_answered(self, daemon: dict[str, Any]) -> None:
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(8) as pool:
            results = list(pool.map(lambda _: run_hook("claude-code", RM_ROOT), range(16)))
        assert all(decision(result) == "deny" for result in results)
        status = control.status()
        assert status is not None and status["requests"] >= 17

    def test_concurrent_first_calls_leave_one_daemon(self, daemon_env: Path) -> None:
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(6) as pool:
            results = list(pool.map(lambda _: run_hook("claude-code", RM_ROOT), range(6)))
        assert all(decision(result) == "deny" for result in results)
        assert wait_for(lambda: control.status() is not None)
        time.sleep(1.0)  # any extra daemon would have found the lock taken and exited by now
        pid = control.status()["pid"]  # type: ignore[index]
        daemons = [
            line
            for line in subprocess.run(
                ["ps", "-eo", "pid,args"], capture_output=True, text=True, check=True
            ).stdout.splitlines()
            if "vectimus.client.daemon" in line
            and os.environ["XDG_RUNTIME_DIR"] in _environ_of(int(line.split()[0]))
        ]
        assert [int(line.split()[0]) for line in daemons] == [pid]


def _environ_of(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/environ", "rb") as handle:  # noqa: PTH123
            return handle.read().decode("utf-8", "replace")
    except OSError:
        return ""


class TestRuleCommand:
    def test_rule_disable_for(
        self, daemon: dict[str, Any], single_rule: Path, tmp_path: Path
    ) -> None:
        assert decision(run_hook("claude-code", RM_ROOT)) == "deny"
        done = vectimus("rule", "disable", "test-no-rm-root", "--for", "2s", cwd=tmp_path)
        assert done.returncode == 0, done.stderr
        assert decision(run_hook("claude-code", RM_ROOT)) == "allow"
        config = Path(os.environ["VECTIMUS_HOME"]) / "config.toml"
        assert not config.exists() or "test-no-rm-root" not in config.read_text()  # memory only
        time.sleep(2.2)
        assert decision(run_hook("claude-code", RM_ROOT)) == "deny"

    def test_config_commands_reload_the_daemon(
        self, daemon: dict[str, Any], single_rule: Path, tmp_path: Path
    ) -> None:
        run_hook("claude-code", RM_ROOT)
        assert control.status()["projects"]  # type: ignore[index]
        done = vectimus("rule", "disable", "test-no-rm-root", cwd=tmp_path)
        assert done.returncode == 0, done.stderr
        assert control.status()["projects"] == []  # type: ignore[index]
        assert decision(run_hook("claude-code", RM_ROOT)) == "allow"
