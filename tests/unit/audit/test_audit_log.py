from __future__ import annotations

import json
import multiprocessing
import os
import stat
import time
from collections.abc import Callable
from pathlib import Path

import msgspec
import pytest

from vectimus.core.audit.reader import LineProblem, iter_records, log_files
from vectimus.core.audit.record import AuditRecord
from vectimus.core.audit.settings import AuditSettings
from vectimus.core.audit.writer import AuditLog, AuditWriteError
from vectimus.core.events import Decision, Event
from vectimus.core.receipts.keys import load_or_create_signing_key
from vectimus.core.receipts.receipt import MemoryHeadStore, ReceiptSigner
from vectimus.core.receipts.store import ReceiptStore

MIB = 1024 * 1024
FIXED_TIME = "2026-06-01T12:00:00.000000Z"


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _settings(tmp_path: Path, **values: object) -> AuditSettings:
    return AuditSettings.model_validate({"log_dir": tmp_path / "logs", **values})


def _append(log: AuditLog, event: Event, decision: Decision) -> AuditRecord:
    record = log.record(event, decision, receipt_id=decision.receipt_id, caller="alice")
    log.write(record)
    return record


def _read(directory: Path) -> tuple[list[AuditRecord], list[LineProblem]]:
    problems: list[LineProblem] = []
    return list(iter_records(log_files(directory), problems)), problems


def test_default_location_and_permissions(
    home: Path, event: Callable[..., Event], decision: Callable[..., Decision]
) -> None:
    with AuditLog() as log:
        _append(log, event(), decision())
    assert log.directory == home / "logs"
    assert _mode(home / "logs") == 0o700
    assert _mode(home / "logs" / "audit.jsonl") == 0o600


def test_record_shape(
    tmp_path: Path, event: Callable[..., Event], decision: Callable[..., Decision]
) -> None:
    dec = decision()
    with AuditLog(_settings(tmp_path)) as log:
        log.write(
            log.record(
                event(), dec, receipt_id=dec.receipt_id, caller="api-key:ci", policy_set_hash="ps"
            )
        )
    lines = (tmp_path / "logs" / "audit.jsonl").read_bytes().splitlines()
    assert len(lines) == 1
    data = json.loads(lines[0])
    assert data["v"] == 1
    assert data["receipt_id"] == dec.receipt_id
    assert data["caller"] == "api-key:ci"
    assert data["policy_set_hash"] == "ps"
    assert data["decision"]["decision"] == "deny"
    assert data["event"]["action"]["command"] == "ls -la"
    assert data["recorded_at"].endswith("Z")
    assert data["redactions"] == []


SECRET_EVENTS: list[tuple[str, dict[str, object]]] = [
    ("AKIAIOSFODNN7EXAMPLE", {"command": "aws s3 cp x s3://b --key AKIAIOSFODNN7EXAMPLE"}),
    (
        "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        {"command": "AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY x"},
    ),
    (
        "ghp_A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8",
        {"url": "https://ghp_A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8@github.com/o/r"},
    ),
    (
        "gho_16C7e42F292c6912E7710c838347Ae178B4a",
        {"command": "GH_TOKEN=gho_16C7e42F292c6912E7710c838347Ae178B4a gh"},
    ),
    (
        "ghs_abcdefghijklmnopqrstuvwxyz0123456789AB",
        {"file_path": "/tmp/ghs_abcdefghijklmnopqrstuvwxyz0123456789AB"},
    ),
    (
        "github_pat_11AAAAAAA0123456789_abcdefghijklmnop",
        {"command": "echo github_pat_11AAAAAAA0123456789_abcdefghijklmnop"},
    ),
    (
        "glpat-xY9zAbCdEfGhIjKlMnOp",
        {"command": "curl -H 'PRIVATE-TOKEN: glpat-xY9zAbCdEfGhIjKlMnOp' x"},
    ),
    ("xoxb-123456789012-AbCdEfGhIjKl", {"extra": {"slack": "xoxb-123456789012-AbCdEfGhIjKl"}}),
    (
        "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.sig123",
        {"command": "curl -H 'X: eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.sig123'"},
    ),
    (
        "MIIEvQIBADANBgkqhkiG9w0BAQEFAASC",
        {
            "command": "echo '-----BEGIN PRIVATE KEY-----\n"
            "MIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n-----END PRIVATE KEY-----'"
        },
    ),
    ("sk-live-4f3c2b1a0987", {"command": "curl -H 'Authorization: Bearer sk-live-4f3c2b1a0987' x"}),
    ("Hunter2xyz", {"url": "postgres://admin:Hunter2xyz@db:5432/app"}),
    ("Tr0ub4dor", {"command": "run password=Tr0ub4dor"}),
    ("letmein99", {"command": "run passwd=letmein99"}),
    ("tok_8f7e6d5c", {"url": "https://api.example.com/?token=tok_8f7e6d5c"}),
    ("cs_2b3c4d5e6f", {"command": "x secret=cs_2b3c4d5e6f"}),
    ("AIzaSyA1b2c3d4", {"url": "https://maps.example.com/?api_key=AIzaSyA1b2c3d4"}),
    ("Sup3rS3cret", {"command": "mysql --password Sup3rS3cret"}),
    ("raw file body 1234", {"file_content": "raw file body 1234"}),
    ("raw script body 5678", {"script_content": "echo raw script body 5678"}),
]


@pytest.mark.parametrize(("secret", "fields"), SECRET_EVENTS, ids=[s for s, _ in SECRET_EVENTS])
def test_no_secret_reaches_the_audit_log_or_the_receipt(
    tmp_path: Path,
    home: Path,
    event: Callable[..., Event],
    decision: Callable[..., Decision],
    secret: str,
    fields: dict[str, object],
) -> None:
    command = str(fields.pop("command", "true"))
    ev = event(command, **fields)
    dec = decision(reason=f"denied because of {command}")
    with AuditLog(_settings(tmp_path)) as log:
        _append(log, ev, dec)
    key = load_or_create_signing_key()
    receipt = ReceiptSigner(key, MemoryHeadStore()).sign(
        ev, dec, policy_set_hash="p", pack_versions={}, source="claude-code", principal="alice"
    )
    store = ReceiptStore(tmp_path / "receipts")
    store.write(receipt)
    receipt_file = store.path_for(receipt)
    written = b"".join(p.read_bytes() for p in (tmp_path / "logs").iterdir() if p.is_file())
    assert secret.encode() not in written
    assert secret.encode() not in receipt_file.read_bytes()
    assert b"[REDACTED:" in written or b'"content":{"' in written


def test_content_is_kept_as_hash_and_length(
    tmp_path: Path, event: Callable[..., Event], decision: Callable[..., Decision]
) -> None:
    with AuditLog(_settings(tmp_path)) as log:
        record = _append(log, event("cat > f", file_content="hello"), decision())
    assert record.content["file_content"].length == 5
    stored = _read(tmp_path / "logs")[0][0]
    assert stored.content["file_content"].sha256 == (
        "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"
    )
    assert stored.event.action.file_content is None


# --- rotation -----------------------------------------------------------------------------


def _line_size(tmp_path: Path, event: Event, decision: Decision) -> int:
    with AuditLog(_settings(tmp_path / "probe"), clock=lambda: FIXED_TIME) as probe:
        _append(probe, event, decision)
    return (tmp_path / "probe" / "logs" / "audit.jsonl").stat().st_size


def test_rotation_exactly_at_the_limit(
    tmp_path: Path, event: Callable[..., Event], decision: Callable[..., Decision]
) -> None:
    ev, dec = event(), decision()
    size = _line_size(tmp_path, ev, dec)
    settings = _settings(tmp_path, max_file_size_mb=3 * size / MIB)
    assert settings.max_file_bytes == 3 * size
    with AuditLog(settings, clock=lambda: FIXED_TIME) as log:
        for _ in range(3):
            _append(log, ev, dec)
        directory = tmp_path / "logs"
        assert [p.name for p in log_files(directory)] == ["audit.jsonl"]
        assert (directory / "audit.jsonl").stat().st_size == 3 * size  # exactly full
        _append(log, ev, dec)  # would pass the limit: rotates
        assert [p.name for p in log_files(directory)] == ["audit-00000001.jsonl", "audit.jsonl"]
        assert (directory / "audit-00000001.jsonl").stat().st_size == 3 * size
        for _ in range(6):
            _append(log, ev, dec)
    files = log_files(directory)
    assert [p.name for p in files] == [
        "audit-00000001.jsonl",
        "audit-00000002.jsonl",
        "audit-00000003.jsonl",
        "audit.jsonl",
    ]  # 10 records, 3 per file: one new file per rotation
    assert all(_mode(p) == 0o600 for p in files)
    records, problems = _read(directory)
    assert len(records) == 10
    assert not problems


def test_a_record_larger_than_the_limit_gets_a_file_of_its_own(
    tmp_path: Path, event: Callable[..., Event], decision: Callable[..., Decision]
) -> None:
    settings = _settings(tmp_path, max_file_size_mb=200 / MIB)
    with AuditLog(settings) as log:
        for _ in range(3):
            _append(log, event(), decision())
    files = log_files(tmp_path / "logs")
    assert len(files) == 3
    assert all(p.stat().st_size > 200 for p in files)  # none empty, one record each


def test_retention_removes_old_rotated_files_only(
    tmp_path: Path, event: Callable[..., Event], decision: Callable[..., Decision]
) -> None:
    directory = tmp_path / "logs"
    directory.mkdir(mode=0o700)
    old = time.time() - 40 * 86400
    for sequence in (1, 2):
        path = directory / f"audit-{sequence:08d}.jsonl"
        path.write_text("")
        os.utime(path, (old, old))
    recent = directory / "audit-00000003.jsonl"
    recent.write_text("")
    settings = _settings(tmp_path, retention_days=30, max_file_size_mb=1 / MIB)
    with AuditLog(settings) as log:
        _append(log, event(), decision())
        _append(log, event(), decision())  # rotates, then applies retention
        names = sorted(p.name for p in directory.glob("audit*.jsonl"))
        assert names == ["audit-00000003.jsonl", "audit-00000004.jsonl", "audit.jsonl"]
        os.utime(directory / "audit.jsonl", (old, old))
        os.utime(directory / "audit-00000004.jsonl", (old, old))
        assert log.apply_retention() == [directory / "audit-00000004.jsonl"]
    assert (directory / "audit.jsonl").exists()  # the active file is never removed


def test_writer_follows_a_rotation_done_by_another_process(
    tmp_path: Path, event: Callable[..., Event], decision: Callable[..., Decision]
) -> None:
    ev, dec = event(), decision()
    size = _line_size(tmp_path, ev, dec)
    settings = _settings(tmp_path, max_file_size_mb=2 * size / MIB)
    first = AuditLog(settings, clock=lambda: FIXED_TIME)
    second = AuditLog(settings, clock=lambda: FIXED_TIME)
    _append(first, ev, dec)
    _append(second, ev, dec)
    _append(first, ev, dec)  # rotates: the file is full
    _append(second, ev, dec)  # must land in the new active file, not the rotated one
    first.close()
    second.close()
    directory = tmp_path / "logs"
    assert (directory / "audit-00000001.jsonl").stat().st_size == 2 * size
    assert (directory / "audit.jsonl").stat().st_size == 2 * size


def test_concurrent_processes_share_rotation(
    tmp_path: Path, event: Callable[..., Event], decision: Callable[..., Decision]
) -> None:
    ev, dec = event(), decision()
    size = _line_size(tmp_path, ev, dec)
    settings = _settings(tmp_path, max_file_size_mb=10 * size / MIB, fsync="never")

    def write_many() -> None:
        with AuditLog(settings, clock=lambda: FIXED_TIME) as log:
            for _ in range(50):
                _append(log, ev, dec)

    context = multiprocessing.get_context("fork")
    workers = [context.Process(target=write_many) for _ in range(4)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(60)
        assert worker.exitcode == 0
    records, problems = _read(tmp_path / "logs")
    assert len(records) == 200
    assert not problems
    files = log_files(tmp_path / "logs")
    assert len(files) == 20  # 200 records, 10 per file
    assert all(p.stat().st_size == 10 * size for p in files)


# --- torn lines ---------------------------------------------------------------------------


def test_torn_line_is_isolated_and_reported(
    tmp_path: Path, event: Callable[..., Event], decision: Callable[..., Decision]
) -> None:
    settings = _settings(tmp_path)
    with AuditLog(settings) as log:
        _append(log, event("first"), decision())
    active = tmp_path / "logs" / "audit.jsonl"
    with active.open("ab") as handle:  # a crash in the middle of a write
        handle.write(b'{"v":1,"recorded_at":"2026-06-01T1')
    records, problems = _read(tmp_path / "logs")
    assert [r.event.action.command for r in records] == ["first"]
    assert [(p.path, p.line) for p in problems] == [(active, 2)]
    assert "torn" in problems[0].reason
    with AuditLog(settings) as log:  # reopening ends the torn line first
        _append(log, event("second"), decision())
        _append(log, event("third"), decision())
    records, problems = _read(tmp_path / "logs")
    assert [r.event.action.command for r in records] == ["first", "second", "third"]
    assert [(p.path, p.line) for p in problems] == [(active, 2)]
    assert "torn" in problems[0].reason
    assert str(active) in str(problems[0])


def test_reopening_a_clean_file_adds_nothing(
    tmp_path: Path, event: Callable[..., Event], decision: Callable[..., Decision]
) -> None:
    settings = _settings(tmp_path)
    for _ in range(3):
        with AuditLog(settings) as log:
            _append(log, event(), decision())
    content = (tmp_path / "logs" / "audit.jsonl").read_bytes()
    assert content.count(b"\n") == 3
    assert b"\n\n" not in content


# --- fsync --------------------------------------------------------------------------------


@pytest.fixture
def file_syncs(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Counts fsync calls on regular files (directory syncs are not counted)."""
    calls: list[int] = []
    real = os.fsync

    def counting(fd: int) -> None:
        if stat.S_ISREG(os.fstat(fd).st_mode):
            calls.append(fd)
        real(fd)

    monkeypatch.setattr(os, "fsync", counting)
    return calls


def test_fsync_always(
    tmp_path: Path,
    event: Callable[..., Event],
    decision: Callable[..., Decision],
    file_syncs: list[int],
) -> None:
    with AuditLog(_settings(tmp_path, fsync="always")) as log:
        for _ in range(5):
            _append(log, event(), decision())
        assert len(file_syncs) == 5
    assert len(file_syncs) == 5  # nothing left to sync at close


def test_fsync_never(
    tmp_path: Path,
    event: Callable[..., Event],
    decision: Callable[..., Decision],
    file_syncs: list[int],
) -> None:
    with AuditLog(_settings(tmp_path, fsync="never")) as log:
        for _ in range(5):
            _append(log, event(), decision())
    assert file_syncs == []


def test_fsync_batch_by_count_and_at_close(
    tmp_path: Path,
    event: Callable[..., Event],
    decision: Callable[..., Decision],
    file_syncs: list[int],
) -> None:
    settings = _settings(tmp_path, fsync="batch", fsync_batch_records=3, fsync_batch_ms=1e9)
    with AuditLog(settings) as log:
        for _ in range(7):
            _append(log, event(), decision())
        assert len(file_syncs) == 2  # after the 3rd and the 6th
    assert len(file_syncs) == 3  # the 7th at close


def test_fsync_batch_by_time(
    tmp_path: Path,
    event: Callable[..., Event],
    decision: Callable[..., Decision],
    file_syncs: list[int],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    now = [1000.0]
    monkeypatch.setattr(time, "monotonic", lambda: now[0])
    settings = _settings(tmp_path, fsync="batch", fsync_batch_records=1000, fsync_batch_ms=50)
    log = AuditLog(settings)
    _append(log, event(), decision())
    _append(log, event(), decision())
    assert file_syncs == []
    now[0] += 0.051
    _append(log, event(), decision())
    assert len(file_syncs) == 1
    _append(log, event(), decision())
    assert len(file_syncs) == 1
    log.close()
    assert len(file_syncs) == 2


# --- failures are raised --------------------------------------------------------------------


def test_an_unusable_log_dir_raises(
    tmp_path: Path, event: Callable[..., Event], decision: Callable[..., Decision]
) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    log = AuditLog(AuditSettings(log_dir=blocker / "logs"))
    with pytest.raises(AuditWriteError, match="cannot write audit log"):
        _append(log, event(), decision())


def test_a_failed_or_short_write_raises(
    tmp_path: Path,
    event: Callable[..., Event],
    decision: Callable[..., Decision],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    log = AuditLog(_settings(tmp_path))
    _append(log, event(), decision())

    def full_disk(fd: int, data: bytes) -> int:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "write", full_disk)
    with pytest.raises(AuditWriteError, match="No space left"):
        _append(log, event(), decision())
    monkeypatch.setattr(os, "write", lambda fd, data: len(data) // 2)
    with pytest.raises(AuditWriteError, match="short write"):
        _append(log, event(), decision())


def test_settings_validation() -> None:
    assert AuditSettings().fsync == "batch"
    assert AuditSettings().max_file_size_mb == 10.0
    with pytest.raises(ValueError, match=r"\(a\+\)\+"):
        AuditSettings.model_validate({"redact_patterns": ["ok-[0-9]{4}", "(a+)+"]})
    with pytest.raises(ValueError, match="not a valid regex"):
        AuditSettings.model_validate({"redact_patterns": ["(oops"]})
    with pytest.raises(ValueError, match="extra"):
        AuditSettings.model_validate({"max_size": 1})
    with pytest.raises(ValueError, match="fsync"):
        AuditSettings.model_validate({"fsync": "sometimes"})
    with pytest.raises(ValueError, match="max_file_size_mb"):
        AuditSettings.model_validate({"max_file_size_mb": 0})
    assert AuditSettings.model_validate({"log_dir": "~/x"}).resolved_log_dir() == Path.home() / "x"


def test_written_records_decode_strictly(
    tmp_path: Path, event: Callable[..., Event], decision: Callable[..., Decision]
) -> None:
    with AuditLog(_settings(tmp_path)) as log:
        record = _append(log, event(), decision())
    line = (tmp_path / "logs" / "audit.jsonl").read_bytes()
    assert msgspec.json.decode(line, type=AuditRecord) == record
