"""The audit log writer: redacted JSONL records, size rotation, age retention, fsync policy.

Files in the log directory (0700; files 0600):

- ``audit.jsonl``: the active file, opened ``O_APPEND``. Every record is one whole line,
  and a record or a batch of them is written by a single ``os.write``, so concurrent
  writers (threads, or several hook processes) never interleave inside a line.
- ``audit-00000001.jsonl``, ``audit-00000002.jsonl``, ...: rotated files, oldest first.
- ``.audit.lock``: ``flock``-ed by a writer while it checks the size, rotates if needed and
  appends, so concurrent writers rotate once (not once each) and never write into a file
  another one has just rotated away.

Rotation: a record (or batch) that would take the active file past ``max_file_size_mb``
goes to a new file (a file can be exactly the limit; a record larger than the limit gets a
file of its own). A writer notices when another process has rotated and follows to the new file.

Crash safety: a crash can leave a torn last line. When the writer opens a file that does not
end in a newline it writes one first, so the fragment stays a line of its own (the reader
reports it) and is never merged into the next record.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import re
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from types import TracebackType

import msgspec

from vectimus.core.audit.record import AuditRecord
from vectimus.core.audit.redact import compile_patterns, redact_decision, redact_event
from vectimus.core.audit.settings import AuditSettings
from vectimus.core.clock import utc_now_iso
from vectimus.core.errors import VectimusError
from vectimus.core.events import Decision, Event
from vectimus.core.paths import ensure_private_dir

ACTIVE_FILE = "audit.jsonl"
ROTATED_FILE = re.compile(r"audit-(\d{8,})\.jsonl")
LOCK_FILE = ".audit.lock"
_DAY_SECONDS = 86400


class AuditWriteError(VectimusError):
    """A record could not be written in full. Raised, never swallowed."""

    code = "audit-write-failed"


def rotated_files(directory: Path) -> list[tuple[int, Path]]:
    """Rotated files as ``(sequence, path)``, oldest first."""
    found = []
    with contextlib.suppress(FileNotFoundError):
        for entry in os.scandir(directory):
            match = ROTATED_FILE.fullmatch(entry.name)
            if match is not None and entry.is_file():
                found.append((int(match.group(1)), Path(entry.path)))
    return sorted(found)


class AuditLog:
    """Appends audit records. One per process; safe to share between threads."""

    def __init__(
        self,
        settings: AuditSettings | None = None,
        *,
        clock: Callable[[], str] = utc_now_iso,
    ) -> None:
        self.settings = settings or AuditSettings()
        self.directory = self.settings.resolved_log_dir()
        self.active_path = self.directory / ACTIVE_FILE
        self._patterns = compile_patterns(self.settings.redact_patterns)
        self._clock = clock
        self._encoder = msgspec.json.Encoder()
        self._lock = threading.Lock()
        self._fd: int | None = None
        self._lock_file_fd: int | None = None
        self._unsynced = 0
        self._last_sync = time.monotonic()

    # --- public --------------------------------------------------------------------------

    def record(
        self,
        event: Event,
        decision: Decision,
        *,
        receipt_id: str,
        caller: str,
        policy_set_hash: str = "",
    ) -> AuditRecord:
        """The redacted record of one decision, stamped now, not yet written."""
        redacted = redact_event(event, self._patterns)
        clean_decision, decision_hits = redact_decision(decision, self._patterns)
        return AuditRecord(
            recorded_at=self._clock(),
            receipt_id=receipt_id,
            caller=caller,
            policy_set_hash=policy_set_hash,
            decision=clean_decision,
            event=redacted.event,
            content=redacted.content,
            redactions=redacted.redactions + decision_hits,
        )

    def write(self, record: AuditRecord) -> None:
        """Write an already redacted record as one line."""
        self.write_many([record])

    def write_many(self, records: Sequence[AuditRecord]) -> None:
        """Write already redacted records, a line each, in one ``os.write`` (a batch of the
        audit sink's costs one lock, one size check and one write, not one per record)."""
        if not records:
            return
        encode = self._encoder.encode
        lines = b"".join([encode(record) + b"\n" for record in records])
        with self._lock:
            try:
                self._write_lines(lines, len(records))
            except AuditWriteError:
                raise
            except OSError as exc:
                self._drop_fd()
                raise AuditWriteError(
                    f"cannot write audit log {self.active_path}: {exc.strerror or exc}"
                ) from None

    def sync(self) -> None:
        """fsync the active file now (unless the policy is ``never``)."""
        with self._lock:
            if self._fd is not None and self.settings.fsync != "never":
                self._fsync()

    def close(self) -> None:
        with self._lock:
            try:
                if self._fd is not None and self._unsynced and self.settings.fsync != "never":
                    self._fsync()
            finally:
                self._drop_fd()
                if self._lock_file_fd is not None:
                    os.close(self._lock_file_fd)
                    self._lock_file_fd = None

    def __enter__(self) -> AuditLog:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def apply_retention(self, *, now: float | None = None) -> list[Path]:
        """Delete rotated files last modified more than ``retention_days`` ago."""
        cutoff = (time.time() if now is None else now) - self.settings.retention_days * _DAY_SECONDS
        removed = []
        for _, path in rotated_files(self.directory):
            try:
                if path.stat().st_mtime < cutoff:
                    path.unlink()
                    removed.append(path)
            except FileNotFoundError:
                continue  # another process removed it first
        return removed

    # --- internals -----------------------------------------------------------------------

    def _write_lines(self, lines: bytes, count: int) -> None:
        lock_fd = self._lock_fd()
        fcntl.flock(lock_fd, fcntl.LOCK_EX)
        try:
            fd = self._current_fd()
            size = os.fstat(fd).st_size
            if size > 0 and size + len(lines) > self.settings.max_file_bytes:
                fd = self._rotate()
            written = os.write(fd, lines)
        finally:
            fcntl.flock(lock_fd, fcntl.LOCK_UN)
        if written != len(lines):
            self._drop_fd()
            raise AuditWriteError(
                f"short write to audit log {self.active_path}: {written} of {len(lines)} bytes"
            )
        self._unsynced += count
        policy = self.settings.fsync
        due = policy == "always" or (
            policy == "batch"
            and (
                self._unsynced >= self.settings.fsync_batch_records
                or (time.monotonic() - self._last_sync) * 1000 >= self.settings.fsync_batch_ms
            )
        )
        if due:
            self._fsync()

    def _fsync(self) -> None:
        if self._fd is not None:
            os.fsync(self._fd)
        self._unsynced = 0
        self._last_sync = time.monotonic()

    def _drop_fd(self) -> None:
        if self._fd is not None:
            with contextlib.suppress(OSError):
                os.close(self._fd)
            self._fd = None

    def _lock_fd(self) -> int:
        """The lock file every writer holds (``flock``) while it checks, rotates and appends."""
        if self._lock_file_fd is None:
            ensure_private_dir(self.directory)
            self._lock_file_fd = os.open(
                self.directory / LOCK_FILE, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600
            )
        return self._lock_file_fd

    def _current_fd(self) -> int:
        """The fd of the active file, reopened if another process rotated it away."""
        if self._fd is not None:
            try:
                on_disk = self.active_path.stat()
                mine = os.fstat(self._fd)
                if (on_disk.st_dev, on_disk.st_ino) == (mine.st_dev, mine.st_ino):
                    return self._fd
            except FileNotFoundError:
                pass
            self._close_synced()
        self._fd = self._open_active()
        return self._fd

    def _close_synced(self) -> None:
        if self._fd is not None and self._unsynced and self.settings.fsync != "never":
            self._fsync()
        self._drop_fd()

    def _open_active(self) -> int:
        """Open (creating) the active file and end a torn last line. Caller holds the lock."""
        fd = os.open(self.active_path, os.O_RDWR | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o600)
        try:
            info = os.fstat(fd)
            if info.st_mode & 0o077:
                os.fchmod(fd, 0o600)
            if info.st_size > 0 and os.pread(fd, 1, info.st_size - 1) != b"\n":
                os.write(fd, b"\n")
        except OSError:
            os.close(fd)
            raise
        if info.st_size == 0 and self.settings.fsync != "never":
            self._fsync_dir()
        return fd

    def _fsync_dir(self) -> None:
        dir_fd = os.open(self.directory, os.O_RDONLY | os.O_CLOEXEC)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)

    def _rotate(self) -> int:
        """Move the full active file aside and open a fresh one. Caller holds the lock."""
        self._close_synced()
        rotated = rotated_files(self.directory)
        sequence = rotated[-1][0] + 1 if rotated else 1
        self.active_path.rename(self.directory / f"audit-{sequence:08d}.jsonl")
        self._fd = self._open_active()
        self.apply_retention()
        return self._fd
