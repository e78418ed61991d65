"""Which receipt ids the audit log already holds: read from the log itself, so it survives
a crash between writing a record and acknowledging its message.

At start the newest rotated file and the active file are read; after that only what was
appended since (by this sink or any other writer), following the active file across
rotations by its inode. Sinks sharing a log directory take ``.audit-sink.lock`` around
"look up, then append", so two of them never both write one receipt id.
"""

from __future__ import annotations

import fcntl
import os
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import msgspec

from vectimus.core.audit.writer import ACTIVE_FILE, rotated_files
from vectimus.core.paths import ensure_private_dir

LOCK_FILE = ".audit-sink.lock"


class _Ids(msgspec.Struct):
    receipt_id: str = ""


class AuditIndex:
    """The receipt ids of the newest audit records (up to ``capacity``). Not thread-safe:
    one handler thread uses it, under :meth:`locked`."""

    def __init__(self, directory: Path, *, capacity: int = 500_000) -> None:
        self.directory = directory
        self.capacity = capacity
        self._ids: OrderedDict[str, None] = OrderedDict()
        self._inode: int | None = None
        self._offset = 0
        self._lock_fd: int | None = None
        self._decoder = msgspec.json.Decoder(_Ids)

    def __contains__(self, receipt_id: str) -> bool:
        return receipt_id in self._ids

    def __len__(self) -> int:
        return len(self._ids)

    def add(self, receipt_id: str) -> None:
        self._ids[receipt_id] = None
        if len(self._ids) > self.capacity:
            self._ids.popitem(last=False)

    def load(self) -> None:
        """Read the newest rotated file and the active file."""
        rotated = rotated_files(self.directory)
        if rotated:
            self._read(rotated[-1][1], 0)
        self.refresh()

    def refresh(self) -> None:
        """Take in the records appended since the last look."""
        active = self.directory / ACTIVE_FILE
        try:
            info = active.stat()
        except FileNotFoundError:
            return
        if self._inode is not None and info.st_ino != self._inode:
            self._catch_up()
            self._offset = 0
        self._inode = info.st_ino
        self._offset = self._read(active, self._offset)

    def _catch_up(self) -> None:
        """The active file was rotated: finish the file we were following, then read every
        file rotated after it (or, if it is gone, the newest rotated file)."""
        rotated = rotated_files(self.directory)
        for position, (_, path) in enumerate(rotated):
            try:
                following = path.stat().st_ino == self._inode
            except FileNotFoundError:
                continue
            if following:
                self._read(path, self._offset)
                for _, newer in rotated[position + 1 :]:
                    self._read(newer, 0)
                return
        if rotated:
            self._read(rotated[-1][1], 0)

    def _read(self, path: Path, offset: int) -> int:
        """Ids of the whole lines from ``offset``; returns where the next read starts."""
        try:
            with path.open("rb") as handle:
                handle.seek(offset)
                data = handle.read()
        except FileNotFoundError:
            return offset
        end = data.rfind(b"\n") + 1  # a line still being written is read next time
        for line in data[:end].splitlines():
            try:
                found = self._decoder.decode(line)
            except msgspec.MsgspecError:
                continue  # a torn or corrupt line: the reader reports those
            if found.receipt_id:
                self.add(found.receipt_id)
        return offset + end

    @contextmanager
    def locked(self) -> Iterator[None]:
        """Exclusive use of the log directory by this sink (between processes too)."""
        if self._lock_fd is None:
            ensure_private_dir(self.directory)
            self._lock_fd = os.open(
                self.directory / LOCK_FILE, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600
            )
        fcntl.flock(self._lock_fd, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(self._lock_fd, fcntl.LOCK_UN)

    def close(self) -> None:
        if self._lock_fd is not None:
            os.close(self._lock_fd)
            self._lock_fd = None
