from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import msgspec
import pytest

from vectimus.core.audit.reader import (
    LineProblem,
    RecordFilter,
    log_files,
    parse_when,
    query,
    tail,
)
from vectimus.core.audit.settings import AuditSettings
from vectimus.core.audit.writer import AuditLog
from vectimus.core.events import Decision, Event, Source

NOW = datetime(2026, 6, 10, 12, 0, tzinfo=UTC)


def _stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@pytest.fixture
def log_dir(tmp_path: Path, event: Callable[..., Event], decision: Callable[..., Decision]) -> Path:
    """Twelve records over twelve hours, rotated every few records."""
    times = iter(_stamp(NOW - timedelta(hours=12 - i)) for i in range(12))
    settings = AuditSettings(log_dir=tmp_path / "logs", max_file_size_mb=2500 / 1024 / 1024)
    with AuditLog(settings, clock=lambda: next(times)) as log:
        for index in range(12):
            ev = event(f"cmd {index}")
            if index % 3 == 0:
                ev = msgspec.structs.replace(ev, source=Source(tool="cursor"))
            kind = "deny" if index % 2 else "allow"
            dec = decision(kind=kind)
            if index == 5:
                dec = msgspec.structs.replace(dec, matched_policy_ids=("special-rule",))
            log.write(log.record(ev, dec, receipt_id=dec.receipt_id, caller="alice"))
    assert len(log_files(tmp_path / "logs")) > 2
    return tmp_path / "logs"


def _commands(records: object) -> list[str]:
    return [r.event.action.command for r in records]  # type: ignore[attr-defined]


def test_query_reads_every_file_in_order(log_dir: Path) -> None:
    assert _commands(query(log_dir)) == [f"cmd {i}" for i in range(12)]


def test_tail(log_dir: Path) -> None:
    assert _commands(tail(log_dir)) == [f"cmd {i}" for i in range(12)]
    assert _commands(tail(log_dir, 3)) == ["cmd 9", "cmd 10", "cmd 11"]
    assert tail(log_dir, 0) == []
    assert _commands(tail(log_dir, 2, RecordFilter(decision="allow"))) == ["cmd 8", "cmd 10"]


def test_filters(log_dir: Path) -> None:
    assert _commands(query(log_dir, RecordFilter(decision="deny")))[:2] == ["cmd 1", "cmd 3"]
    assert _commands(query(log_dir, RecordFilter(rule="special-rule"))) == ["cmd 5"]
    assert _commands(query(log_dir, RecordFilter(rule="vectimus-base-001")))[:1] == ["cmd 0"]
    assert _commands(query(log_dir, RecordFilter(source="cursor"))) == [
        "cmd 0",
        "cmd 3",
        "cmd 6",
        "cmd 9",
    ]
    since = RecordFilter(since=NOW - timedelta(hours=3))
    assert _commands(query(log_dir, since)) == ["cmd 9", "cmd 10", "cmd 11"]
    window = RecordFilter(since=NOW - timedelta(hours=10), until=NOW - timedelta(hours=9))
    assert _commands(query(log_dir, window)) == ["cmd 2", "cmd 3"]
    both = RecordFilter(decision="deny", source="cursor")
    assert _commands(query(log_dir, both)) == ["cmd 3", "cmd 9"]


def test_corrupt_lines_are_reported_with_file_and_line(log_dir: Path) -> None:
    first = log_files(log_dir)[0]
    lines = first.read_bytes().splitlines(keepends=True)
    first.write_bytes(lines[0] + b"garbage\n\n" + b"".join(lines[1:]))
    problems: list[LineProblem] = []
    records = list(query(log_dir, problems=problems))
    assert len(records) == 12
    assert [(p.path, p.line) for p in problems] == [(first, 2)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("30m", NOW - timedelta(minutes=30)),
        ("1h", NOW - timedelta(hours=1)),
        ("7d", NOW - timedelta(days=7)),
        ("2w", NOW - timedelta(weeks=2)),
        ("45s", NOW - timedelta(seconds=45)),
        ("2026-06-01T00:00:00Z", datetime(2026, 6, 1, tzinfo=UTC)),
        ("2026-06-01T02:00:00+02:00", datetime(2026, 6, 1, tzinfo=UTC)),
        ("2026-06-01", datetime(2026, 6, 1, tzinfo=UTC)),
    ],
)
def test_parse_when(text: str, expected: datetime) -> None:
    assert parse_when(text, now=NOW) == expected


@pytest.mark.parametrize("text", ["yesterday", "1y", "-5m", ""])
def test_parse_when_refuses_nonsense(text: str) -> None:
    with pytest.raises(ValueError, match="ISO 8601"):
        parse_when(text, now=NOW)


def test_missing_directory_reads_as_empty(tmp_path: Path) -> None:
    assert list(query(tmp_path / "nothing")) == []
