"""The receipts, verify and audit commands, run as real processes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from vectimus.core.audit.settings import AuditSettings
from vectimus.core.audit.writer import AuditLog
from vectimus.core.events import Action, Decision, Event, Identity, Source
from vectimus.core.receipts.ids import new_receipt_id
from vectimus.core.receipts.keys import load_or_create_signing_key, signing_key_path
from vectimus.core.receipts.receipt import Receipt, ReceiptSigner
from vectimus.core.receipts.store import FileHeadStore, ReceiptStore, load_receipt_file

REPO_ROOT = Path(__file__).resolve().parents[2]
CONSOLE_SCRIPT = REPO_ROOT / ".venv" / "bin" / "vectimus"
COMMAND = (
    [str(CONSOLE_SCRIPT)]
    if CONSOLE_SCRIPT.exists()
    else [sys.executable, "-m", "vectimus.cli.main"]
)
SECRET = "ghp_" + "Q9w8E7r6" * 5


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "home"
    monkeypatch.setenv("VECTIMUS_HOME", str(path))
    return path


def vectimus(*args: str | Path, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [*COMMAND, *map(str, args)],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "NO_COLOR": "1"},
        cwd=cwd,
        check=False,
    )
    assert "Traceback" not in result.stderr, result.stderr
    return result


def _event(command: str, tool: str = "claude-code") -> Event:
    return Event(
        source=Source(tool=tool),
        identity=Identity(principal="alice"),
        action=Action(action_type="shell_command", raw_tool_name="Bash", command=command),
    )


def _decision(kind: str, rules: tuple[str, ...] = ()) -> Decision:
    return Decision(
        decision=kind,  # type: ignore[arg-type]
        reason=f"{kind} by policy",
        action_type="shell_command",
        matched_policy_ids=rules,
        receipt_id=new_receipt_id(),
        evaluation_time_ms=0.731,
    )


def make_receipts(project: Path, count: int, *, start: datetime | None = None) -> list[Path]:
    """Sign ``count`` receipts into ``project``, one per hour from ``start``."""
    store = ReceiptStore.for_project(project)
    clock_start = start or datetime.now(UTC) - timedelta(hours=count)
    times = iter(clock_start + timedelta(hours=i) for i in range(count))
    signer = ReceiptSigner(
        load_or_create_signing_key(),
        FileHeadStore.for_receipts_dir(store.root),
        clock=lambda: next(times),
    )
    paths = []
    for index in range(count):
        receipt: Receipt = signer.sign(
            _event(f"echo {index}"),
            _decision("deny" if index % 2 else "allow"),
            policy_set_hash="ab" * 32,
            pack_versions={"base": "1.0.0"},
            source="claude-code",
            principal="alice",
        )
        store.write(receipt)
        paths.append(store.path_for(receipt))
    return paths


@pytest.fixture
def project(tmp_path: Path, home: Path) -> Path:
    root = tmp_path / "project"
    root.mkdir()
    return root


# --- vectimus verify FILE -------------------------------------------------------------------


def test_verify_one_receipt(project: Path) -> None:
    path = make_receipts(project, 1)[0]
    result = vectimus("verify", path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("OK ")
    assert path.stem in result.stdout


def _as_segment(paths: list[Path]) -> Path:
    """The receipts of ``paths`` moved into their day's segment, as the audit sink stores
    them."""
    store = ReceiptStore.for_project(paths[0].parents[3])
    receipts = [load_receipt_file(path) for path in paths]
    for path in paths:
        path.unlink()
    store.append(receipts)
    return store.segment_for(receipts[0].timestamp[:10])


def test_verify_every_receipt_of_a_segment(project: Path) -> None:
    now = datetime.now(UTC).replace(hour=1)
    segment = _as_segment(make_receipts(project, 3, start=now))
    result = vectimus("verify", segment)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.count("OK ") == 3
    assert vectimus("verify", "--chain", project / ".vectimus" / "receipts").returncode == 0


def test_verify_a_segment_names_the_bad_lines(project: Path) -> None:
    now = datetime.now(UTC).replace(hour=1)
    segment = _as_segment(make_receipts(project, 3, start=now))
    lines = segment.read_text().splitlines(keepends=True)
    data = json.loads(lines[1])
    data["decision"] = "allow" if data["decision"] == "deny" else "deny"
    segment.write_text(lines[0] + json.dumps(data) + "\n" + "{torn\n")
    result = vectimus("verify", segment)
    assert result.returncode == 1
    assert result.stdout.count("OK ") == 1
    assert "FAIL " in result.stdout and "bad signature" in result.stdout
    assert f"UNREADABLE {segment}:3" in result.stdout
    segment.write_text("")
    empty = vectimus("verify", segment)
    assert empty.returncode == 1 and "no receipts" in empty.stdout
    missing = vectimus("verify", segment.with_name("gone.jsonl"))
    assert missing.returncode == 2 and "no such file" in missing.stderr


def test_verify_reports_a_changed_receipt(project: Path) -> None:
    path = make_receipts(project, 1)[0]
    data = json.loads(path.read_text())
    data["decision"] = "allow" if data["decision"] == "deny" else "deny"
    path.write_text(json.dumps(data, indent=2))
    result = vectimus("verify", path)
    assert result.returncode == 1
    assert result.stdout.startswith("FAIL ")
    assert "bad signature" in result.stdout


def test_verify_with_a_public_key_only(project: Path, tmp_path: Path) -> None:
    path = make_receipts(project, 1)[0]
    pem = vectimus("receipts", "export-key")
    assert pem.returncode == 0
    assert pem.stdout.startswith("-----BEGIN PUBLIC KEY-----")
    key_file = tmp_path / "signer.pub.pem"
    key_file.write_text(pem.stdout)
    empty = tmp_path / "empty-keyring"
    empty.mkdir()
    assert vectimus("verify", path, "--keyring", empty).returncode == 1
    result = vectimus("verify", path, "--keyring", empty, "--public-key", key_file)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "no such file"),
        ("{not json", "not valid JSON"),
        ('{"receipt_id": "x"}', "not a receipt"),
        ("[1, 2]", "not a receipt"),
        ("", "not valid JSON"),
    ],
)
def test_verify_bad_input_is_one_clear_line(
    tmp_path: Path, home: Path, content: str | None, message: str
) -> None:
    path = tmp_path / "input.json"
    if content is not None:
        path.write_text(content)
    result = vectimus("verify", path)
    assert result.returncode == 2
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert message in lines[0]
    assert str(path) in lines[0]


def test_verify_needs_exactly_one_target(project: Path) -> None:
    assert vectimus("verify").returncode == 2
    assert vectimus("verify", "x.json", "--chain", project).returncode == 2
    assert vectimus("verify", project).returncode == 2  # a directory is not a receipt file


# --- vectimus verify --chain DIR -----------------------------------------------------------


def test_chain_ok(project: Path) -> None:
    make_receipts(project, 6)
    result = vectimus("verify", "--chain", project)
    assert result.returncode == 0, result.stdout
    assert "chain OK: 6 receipt(s) in 1 chain(s)" in result.stdout


def test_chain_gap_names_the_receipt_after_it(project: Path) -> None:
    paths = make_receipts(project, 5)
    paths[2].unlink()
    result = vectimus("verify", "--chain", project)
    assert result.returncode == 1
    assert f"MISSING {paths[3].stem}" in result.stdout
    assert "chain FAIL" in result.stdout


def test_chain_swap_is_reported_by_id(project: Path) -> None:
    paths = make_receipts(project, 4)
    first, second = paths[1].read_bytes(), paths[2].read_bytes()
    paths[1].write_bytes(second)
    paths[2].write_bytes(first)
    result = vectimus("verify", "--chain", project)
    assert result.returncode == 1
    assert f"REORDERED {paths[1].stem}" in result.stdout
    assert f"REORDERED {paths[2].stem}" in result.stdout


def test_chain_tampering_is_reported(project: Path) -> None:
    paths = make_receipts(project, 4)
    data = json.loads(paths[1].read_text())
    data["reason"] = "nothing to see"
    paths[1].write_text(json.dumps(data))
    result = vectimus("verify", "--chain", project)
    assert result.returncode == 1
    assert f"TAMPERED {paths[1].stem}" in result.stdout


def test_chain_reports_unreadable_files(project: Path) -> None:
    paths = make_receipts(project, 2)
    (paths[0].parent / "stray.json").write_text("{}")
    result = vectimus("verify", "--chain", project)
    assert result.returncode == 1
    assert "UNREADABLE" in result.stdout
    assert "stray.json" in result.stdout


def test_chain_of_an_empty_or_missing_directory(project: Path, tmp_path: Path) -> None:
    result = vectimus("verify", "--chain", project)
    assert result.returncode == 1
    assert "no receipts" in result.stdout
    missing = vectimus("verify", "--chain", tmp_path / "nope")
    assert missing.returncode == 2
    assert "not a directory" in missing.stderr


def test_rotation_keeps_old_receipts_verifiable(project: Path) -> None:
    old = make_receipts(project, 2, start=datetime.now(UTC) - timedelta(hours=5))
    rotated = vectimus("receipts", "rotate-key")
    assert rotated.returncode == 0, rotated.stderr
    new = make_receipts(project, 2)
    old_key = json.loads(old[0].read_text())["key_id"]
    new_key = json.loads(new[0].read_text())["key_id"]
    assert old_key != new_key
    assert f"{old_key} -> {new_key}" in rotated.stdout
    assert vectimus("verify", old[0]).returncode == 0
    result = vectimus("verify", "--chain", project)
    assert result.returncode == 0, result.stdout
    assert "in 2 chain(s)" in result.stdout
    exported = vectimus("receipts", "export-key", "--key-id", old_key)
    assert exported.returncode == 0
    assert "PUBLIC KEY" in exported.stdout


# --- vectimus receipts prune ---------------------------------------------------------------


def test_prune_by_days_then_chain_still_verifies(project: Path) -> None:
    make_receipts(project, 6, start=datetime.now(UTC) - timedelta(days=10))
    make_receipts(project, 3)
    result = vectimus("receipts", "prune", "--days", "3", "--project", project)
    assert result.returncode == 0, result.stderr
    assert "removed" in result.stdout
    assert "pruned 6 receipt(s)" in result.stdout
    chain = vectimus("verify", "--chain", project)
    assert chain.returncode == 0, chain.stdout
    assert "3 receipt(s)" in chain.stdout
    again = vectimus("receipts", "prune", "--days", "3", "--project", project)
    assert "nothing to prune" in again.stdout


def test_prune_all(project: Path) -> None:
    make_receipts(project, 3)
    result = vectimus("receipts", "prune", "--all", "--project", project)
    assert result.returncode == 0
    assert "pruned 3 receipt(s)" in result.stdout
    receipts = project / ".vectimus" / "receipts"
    assert [p for p in receipts.iterdir() if p.is_dir()] == []


def test_prune_bad_input(project: Path) -> None:
    assert vectimus("receipts", "prune", "--project", project).returncode == 2
    assert vectimus("receipts", "prune", "--days", "-1", "--project", project).returncode == 2
    nowhere = vectimus("receipts", "prune", "--all", "--project", project / "missing")
    assert nowhere.returncode == 2
    assert "not a directory" in nowhere.stderr


def test_an_open_signing_key_is_a_clear_error(project: Path) -> None:
    make_receipts(project, 1)
    signing_key_path().chmod(0o644)
    result = vectimus("receipts", "prune", "--all", "--project", project)
    assert result.returncode == 2
    assert str(signing_key_path()) in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


# --- vectimus audit ------------------------------------------------------------------------


@pytest.fixture
def audit_log(home: Path) -> Path:
    start = datetime.now(UTC) - timedelta(hours=30)
    times = iter((start + timedelta(hours=i)).strftime("%Y-%m-%dT%H:%M:%S.%fZ") for i in range(30))
    settings = AuditSettings(max_file_size_mb=4000 / 1024 / 1024)
    with AuditLog(settings, clock=lambda: next(times)) as log:
        for index in range(30):
            tool = "cursor" if index % 5 == 0 else "claude-code"
            kind = "deny" if index % 3 == 0 else "allow"
            rules = ("rule-a",) if index % 3 == 0 else ()
            command = f"step {index} --token {SECRET}" if index == 29 else f"step {index}"
            dec = _decision(kind, rules)
            log.write(
                log.record(_event(command, tool), dec, receipt_id=dec.receipt_id, caller="alice")
            )
    return home / "logs"


def test_audit_tail(audit_log: Path) -> None:
    assert len(list(audit_log.glob("audit-*.jsonl"))) >= 2
    result = vectimus("audit", "tail")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.strip().splitlines()
    assert len(lines) == 20
    assert "step 10" in lines[0]
    assert "step 29" in lines[-1]
    assert SECRET not in result.stdout
    short = vectimus("audit", "tail", "-n", "3", "--format", "json")
    records = [json.loads(line) for line in short.stdout.splitlines()]
    assert [r["event"]["action"]["command"].split(" --")[0] for r in records] == [
        "step 27",
        "step 28",
        "step 29",
    ]


def test_audit_query_filters(audit_log: Path) -> None:
    denies = vectimus("audit", "query", "--decision", "deny", "--format", "json")
    records = [json.loads(line) for line in denies.stdout.splitlines()]
    assert len(records) == 10
    assert {r["decision"]["decision"] for r in records} == {"deny"}
    by_rule = vectimus("audit", "query", "--rule", "rule-a")
    assert len(by_rule.stdout.splitlines()) == 10
    cursor = vectimus("audit", "query", "--source", "cursor", "--format", "json")
    assert len(cursor.stdout.splitlines()) == 6
    recent = vectimus("audit", "query", "--since", "5h", "--format", "json")
    assert len(recent.stdout.splitlines()) in (4, 5)
    window = vectimus(
        "audit",
        "query",
        "--since",
        (datetime.now(UTC) - timedelta(hours=30, minutes=30)).isoformat(),
        "--until",
        (datetime.now(UTC) - timedelta(hours=27, minutes=30)).isoformat(),
    )
    assert len(window.stdout.splitlines()) == 3
    combined = vectimus("audit", "query", "--decision", "deny", "--source", "cursor")
    assert len(combined.stdout.splitlines()) == 2  # steps 0 and 15


def test_audit_reports_a_torn_line(audit_log: Path) -> None:
    with (audit_log / "audit.jsonl").open("ab") as handle:
        handle.write(b'{"v":1,"recor')
    result = vectimus("audit", "tail", "-n", "1")
    assert result.returncode == 0
    assert "step 29" in result.stdout
    assert "torn" in result.stderr
    assert "audit.jsonl:" in result.stderr


def test_audit_bad_input(home: Path, audit_log: Path) -> None:
    bad = vectimus("audit", "query", "--since", "last tuesday")
    assert bad.returncode == 2
    assert "last tuesday" in bad.stderr
    nowhere = vectimus("audit", "tail", "--log-dir", home / "missing")
    assert nowhere.returncode == 2
    assert "no audit log" in nowhere.stderr
