"""`vectimus eval` as a real process: JSONL in, JSONL out, bad lines denied, run goes on."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import PAYLOADS

VECTIMUS = str(Path(sys.executable).with_name("vectimus"))


def run_eval(
    source: str, stdin: str, *args: str, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [VECTIMUS, "eval", "--source", source, *args],
        input=stdin,
        text=True,
        capture_output=True,
        env=os.environ,
        cwd=cwd,
        timeout=120,
        check=False,
    )


def test_decisions_per_line_with_bad_lines_in_between(vectimus_home: Path, tmp_path: Path) -> None:
    lines = [
        json.dumps(
            {
                "cwd": "/tmp",
                "tool_name": "Bash",
                "tool_input": {"command": "cd infra && terraform destroy"},
            }
        ),
        "{broken",
        json.dumps({"cwd": "/tmp", "tool_name": "Bash", "tool_input": {"command": "ls"}}),
        json.dumps(["not", "an", "object"]),
    ]
    result = run_eval("claude-code", "\n".join(lines) + "\n", cwd=tmp_path)
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["decision"] for r in records] == ["deny", "deny", "allow", "deny"]
    assert [r["line"] for r in records] == [1, 2, 3, 4]
    assert records[0]["matched_policy_ids"] == ["vectimus-infra-001"]
    assert records[0]["action_type"] == "infrastructure"
    assert "not valid JSON" in records[1]["reason"]
    assert "line 4" in records[3]["reason"]
    for record in records:
        assert {"decision", "reason", "matched_policy_ids", "action_type", "receipt_id"} <= set(
            record
        )
    assert result.returncode == 1
    audit = (vectimus_home / "logs" / "audit.jsonl").read_text().splitlines()
    assert len(audit) == 4
    assert {json.loads(a)["receipt_id"] for a in audit} == {r["receipt_id"] for r in records}


def test_all_allowed_exits_zero_and_reads_a_file(tmp_path: Path) -> None:
    calls = tmp_path / "calls.jsonl"
    calls.write_text(
        json.dumps({"tool_name": "Read", "tool_input": {"file_path": "src/app.py"}}) + "\n\n"
    )
    result = run_eval("claude-code", "", str(calls), cwd=tmp_path)
    assert result.returncode == 0
    assert json.loads(result.stdout)["decision"] == "allow"


def test_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    result = run_eval("claude-code", "", str(tmp_path / "nope.jsonl"), cwd=tmp_path)
    assert result.returncode == 2
    assert "cannot read" in result.stderr and "Traceback" not in result.stderr


def test_every_sample_payload_is_decided(tmp_path: Path) -> None:
    for source_dir in sorted(p for p in PAYLOADS.iterdir() if p.is_dir()):
        samples = sorted(source_dir.glob("*.json"))
        stdin = "".join(json.dumps(json.loads(p.read_text())) + "\n" for p in samples)
        result = run_eval(source_dir.name, stdin, cwd=tmp_path)
        records = [json.loads(line) for line in result.stdout.splitlines()]
        assert len(records) == len(samples), result.stderr
        for sample, record in zip(samples, records, strict=True):
            assert "could not be evaluated" not in record["reason"], (sample, record)
            if "rm-rf" in sample.name or "chained-rm" in sample.name:
                assert record["decision"] == "deny", (sample.name, record)


def test_audit_tail_reads_the_configured_log_dir(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("VECTIMUS_AUDIT_DIR", str(tmp_path / "audit"))
    line = json.dumps({"cwd": "/tmp", "tool_name": "Bash", "tool_input": {"command": "rm -rf /"}})
    run_eval("claude-code", line + "\n", cwd=tmp_path)
    result = subprocess.run(
        [VECTIMUS, "audit", "tail", "--format", "json"],
        capture_output=True,
        text=True,
        env=os.environ,
        cwd=tmp_path,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    record = json.loads(result.stdout.splitlines()[-1])
    assert record["decision"]["matched_policy_ids"] == ["vectimus-destructive-001"]
