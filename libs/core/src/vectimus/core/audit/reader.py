"""Reading the audit log: every file in order, torn lines reported, records filtered."""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import NamedTuple

import msgspec

from vectimus.core.audit.record import AuditRecord
from vectimus.core.audit.writer import ACTIVE_FILE, rotated_files

_RELATIVE = re.compile(r"(\d+)\s*([smhdw])")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


class LineProblem(NamedTuple):
    """A line that is not a record: torn by a crash, or corrupt."""

    path: Path
    line: int
    reason: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.reason}"


def log_files(directory: Path) -> list[Path]:
    """The log's files in write order: rotated ones by sequence, then the active one."""
    files = [path for _, path in rotated_files(directory)]
    active = directory / ACTIVE_FILE
    if active.is_file():
        files.append(active)
    return files


def iter_records(
    files: Iterable[Path], problems: list[LineProblem] | None = None
) -> Iterator[AuditRecord]:
    """Records of ``files`` in order. Lines that do not decode are appended to ``problems``
    (with file and line number) and skipped; blank lines are skipped silently."""
    decoder = msgspec.json.Decoder(AuditRecord)
    for path in files:
        try:
            handle = path.open("rb")
        except FileNotFoundError:
            continue  # removed by retention while we read
        with handle:
            for number, line in enumerate(handle, start=1):
                if not line.strip():
                    continue
                if not line.endswith(b"\n"):
                    if problems is not None:
                        problems.append(
                            LineProblem(path, number, "torn line: no newline at end of file")
                        )
                    continue
                try:
                    yield decoder.decode(line)
                except msgspec.MsgspecError as exc:
                    if problems is not None:
                        problems.append(LineProblem(path, number, f"torn or corrupt line: {exc}"))


def parse_when(text: str, *, now: datetime | None = None) -> datetime:
    """An ISO 8601 time (naive means UTC) or a relative age such as ``30m``, ``1h``, ``7d``.

    Raises ValueError with a readable message.
    """
    text = text.strip()
    relative = _RELATIVE.fullmatch(text)
    if relative is not None:
        try:
            amount = timedelta(**{_UNITS[relative.group(2)]: int(relative.group(1))})
            return (now or datetime.now(UTC)) - amount
        except (OverflowError, ValueError):
            raise ValueError(f"{text[:40]!r} reaches further back than a date can") from None
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise ValueError(
            f"{text!r} is neither an ISO 8601 time nor a relative age like 30m, 1h or 7d"
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def recorded_time(record: AuditRecord) -> datetime | None:
    try:
        return parse_when(record.recorded_at)
    except ValueError:
        return None


@dataclass(frozen=True, slots=True)
class RecordFilter:
    """All given conditions must hold. ``rule`` matches any matched policy id."""

    decision: str | None = None
    rule: str | None = None
    source: str | None = None
    since: datetime | None = None
    until: datetime | None = None

    def matches(self, record: AuditRecord) -> bool:
        if self.decision is not None and record.decision.decision != self.decision:
            return False
        if self.rule is not None and self.rule not in record.decision.matched_policy_ids:
            return False
        if self.source is not None and record.event.source.tool != self.source:
            return False
        if self.since is not None or self.until is not None:
            when = recorded_time(record)
            if when is None:
                return False
            if self.since is not None and when < self.since:
                return False
            if self.until is not None and when > self.until:
                return False
        return True


def query(
    directory: Path,
    where: RecordFilter | None = None,
    problems: list[LineProblem] | None = None,
) -> Iterator[AuditRecord]:
    """Matching records of the whole log (all rotated files, then the active one)."""
    where = where or RecordFilter()
    for record in iter_records(log_files(directory), problems):
        if where.matches(record):
            yield record


def tail(
    directory: Path,
    count: int = 20,
    where: RecordFilter | None = None,
    problems: list[LineProblem] | None = None,
) -> list[AuditRecord]:
    """The last ``count`` matching records, oldest first."""
    if count <= 0:
        return []
    return list(deque(query(directory, where, problems), maxlen=count))
