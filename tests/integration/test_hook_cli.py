"""`vectimus hook` as a real process: each tool's protocol, and every failure path fails closed."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import REPO

VECTIMUS = str(Path(sys.executable).with_name("vectimus"))


def hook(
    source: str, stdin: bytes | str, *, env: dict[str, str] | None = None, cwd: Path = REPO
) -> subprocess.CompletedProcess[bytes]:
    data = stdin.encode() if isinstance(stdin, str) else stdin
    return subprocess.run(
        [VECTIMUS, "hook", "--source", source],
        input=data,
        capture_output=True,
        env={**os.environ, **(env or {})},
        cwd=cwd,
        timeout=60,
        check=False,
    )


def answer(result: subprocess.CompletedProcess[bytes]) -> dict:
    assert result.stdout.count(b"\n") == 1, result.stdout
    return json.loads(result.stdout)


RM_ROOT = {
    "claude-code": {
        "session_id": "s",
        "cwd": "/tmp",
        "hook_event_name": "PreToolUse",
        "tool_name": "Bash",
        "tool_input": {"command": "git status && rm -rf /"},
    },
    "claude-agent-sdk": {
        "session_id": "s",
        "cwd": "/tmp",
        "hook_event_name": "PreToolUse",
        "tool_name": "Bash",
        "tool_input": {"command": "rm -fr ~"},
    },
    "codex": {
        "session_id": "s",
        "cwd": "/tmp",
        "hook_event_name": "PreToolUse",
        "tool_name": "Bash",
        "tool_input": {"command": "rm -r -f $HOME"},
    },
    "copilot": {
        "timestamp": 1,
        "cwd": "/tmp",
        "toolName": "bash",
        "toolArgs": json.dumps({"command": "rm -rf /"}),
    },
    "cursor": {
        "hook_event_name": "beforeShellExecution",
        "command": "sudo rm --recursive --force /",
        "cwd": "/tmp",
        "conversation_id": "c",
        "generation_id": "g",
        "workspace_roots": ["/tmp"],
    },
    "gemini-cli": {
        "session_id": "s",
        "cwd": "/tmp",
        "hook_event_name": "BeforeTool",
        "tool_name": "run_shell_command",
        "tool_input": {"command": "cd / && /bin/rm -rf /"},
    },
}


class TestProtocols:
    @pytest.mark.parametrize("source", ["claude-code", "claude-agent-sdk", "codex"])
    def test_claude_shaped_deny(self, source: str) -> None:
        result = hook(source, json.dumps(RM_ROOT[source]))
        output = answer(result)["hookSpecificOutput"]
        assert result.returncode == 0
        assert output["hookEventName"] == "PreToolUse"
        assert output["permissionDecision"] == "deny"
        reason = output["permissionDecisionReason"]
        assert (
            "vectimus-destructive-001" in reason and "Receipt:" in reason and "Instead:" in reason
        )

    def test_copilot_flat_deny(self) -> None:
        output = answer(hook("copilot", json.dumps(RM_ROOT["copilot"])))
        assert output["permissionDecision"] == "deny"
        assert "vectimus-destructive-001" in output["permissionDecisionReason"]

    def test_cursor_deny_exits_2(self) -> None:
        result = hook("cursor", json.dumps(RM_ROOT["cursor"]))
        output = answer(result)
        assert result.returncode == 2
        assert output["permission"] == "deny"
        assert "vectimus-destructive-001" in output["user_message"]
        assert output["agent_message"] == output["user_message"]

    def test_gemini_deny(self) -> None:
        output = answer(hook("gemini-cli", json.dumps(RM_ROOT["gemini-cli"])))
        assert output["decision"] == "deny" and "vectimus-destructive-001" in output["reason"]

    def test_escalate_is_ask_where_the_tool_has_it(self) -> None:
        payload = {**RM_ROOT["claude-code"], "tool_input": {"command": "X=$(cat f); $X -rf /"}}
        output = answer(hook("claude-code", json.dumps(payload)))["hookSpecificOutput"]
        assert output["permissionDecision"] in {"ask", "deny"}
        gem = {**RM_ROOT["gemini-cli"], "tool_name": "mcp__unknown__drop"}
        assert answer(hook("gemini-cli", json.dumps(gem)))["decision"] == "deny"

    def test_allow_defers_to_the_tool_by_default(self) -> None:
        payload = {**RM_ROOT["claude-code"], "tool_input": {"command": "git status"}}
        result = hook("claude-code", json.dumps(payload))
        assert (result.returncode, result.stdout) == (0, b"")

    def test_explicit_allow_when_configured(self, vectimus_home: Path) -> None:
        (vectimus_home / "config.toml").write_text("[hook]\nexplicit_allow = true\n")
        payload = {**RM_ROOT["claude-code"], "tool_input": {"command": "git status"}}
        assert (
            answer(hook("claude-code", json.dumps(payload)))["hookSpecificOutput"][
                "permissionDecision"
            ]
            == "allow"
        )


class TestFailClosed:
    def test_empty_stdin_gets_no_decision(self) -> None:
        result = hook("claude-code", b"  \n")
        assert (result.returncode, result.stdout) == (0, b"")

    @pytest.mark.parametrize(
        "stdin",
        [b"{not json", b"\xff\xfe", b'{"tool_name": "Bash"', b"[1, 2]", b"{}", b'"Bash"', b"null"],
    )
    def test_bad_payloads_are_denied_with_a_reason(self, stdin: bytes) -> None:
        result = hook("claude-code", stdin)
        output = answer(result)["hookSpecificOutput"]
        assert output["permissionDecision"] == "deny"
        assert "Vectimus denied this call" in output["permissionDecisionReason"]
        assert b"Traceback" not in result.stderr

    def test_invalid_json_reason_names_the_problem(self) -> None:
        output = answer(hook("cursor", b"{not json"))
        assert "not valid JSON" in output["user_message"]

    def test_broken_policy_denies_and_names_the_file(self, tmp_path: Path) -> None:
        pack = tmp_path / "broken"
        pack.mkdir()
        (pack / "bad.cedar").write_text(
            '@id("x")\nforbid (principal, action, resource) when { oops };\n'
        )
        result = hook(
            "claude-code",
            json.dumps(RM_ROOT["claude-code"] | {"tool_input": {"command": "ls"}}),
            env={"VECTIMUS_POLICY_DIR": str(tmp_path)},
        )
        reason = answer(result)["hookSpecificOutput"]["permissionDecisionReason"]
        assert "bad.cedar:1: Cedar parse error" in reason

    def test_broken_config_denies_and_names_the_key(self, vectimus_home: Path) -> None:
        (vectimus_home / "config.toml").write_text("[limits]\nnope = 1\n")
        reason = answer(hook("gemini-cli", json.dumps(RM_ROOT["gemini-cli"])))["reason"]
        assert "limits.nope" in reason and "config.toml" in reason

    def test_unknown_source_is_a_usage_error(self) -> None:
        result = hook("vim", b"{}")
        assert result.returncode == 2 and b"invalid choice" in result.stderr


def test_receipt_and_audit_record_are_written_after_the_answer(vectimus_home: Path) -> None:
    result = hook("claude-code", json.dumps(RM_ROOT["claude-code"]))
    reason = answer(result)["hookSpecificOutput"]["permissionDecisionReason"]
    receipt_id = reason.rsplit("Receipt: ", 1)[1]
    deadline = time.monotonic() + 20
    receipts: list[Path] = []
    while time.monotonic() < deadline and not receipts:
        receipts = list((vectimus_home / "receipts").glob(f"*/{receipt_id}.json"))
        time.sleep(0.05)
    assert receipts, "the detached recorder wrote no receipt"
    audit = vectimus_home / "logs" / "audit.jsonl"
    while time.monotonic() < deadline and not (audit.exists() and receipt_id in audit.read_text()):
        time.sleep(0.05)
    record = json.loads(audit.read_text().splitlines()[-1])
    assert record["receipt_id"] == receipt_id
    assert record["decision"]["decision"] == "deny"
    verify = subprocess.run(
        [VECTIMUS, "verify", str(receipts[0])],
        capture_output=True,
        text=True,
        env=os.environ,
        timeout=60,
        check=False,
    )
    assert verify.returncode == 0, verify.stdout + verify.stderr
