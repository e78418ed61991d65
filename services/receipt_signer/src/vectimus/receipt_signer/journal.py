"""The signer's journal: every receipt it signed, one JSON line each, and its chain heads.

It is the head store of the signer's :class:`~vectimus.core.receipts.ReceiptSigner` and its
idempotency index at once. Signing a receipt and recording it are one ``write`` of one line,
so there is no moment when the chain has moved on but the receipt is not on record: a
decision delivered again after a crash finds its receipt here and is published again as it
was signed, never signed a second time (which would fork the chain or leave a gap in it).

Why a file and not Redis: the chain head must be as durable as the signing key beside it,
and Redis may run without persistence. One signer owns a journal directory (a lock file
says so); chain heads therefore never fork.

Files: ``journal-00000001.jsonl``, ... (0600, in a 0700 directory). A file past
``max_file_bytes`` is closed and the next one starts with the current heads, so the heads
survive the deletion of older files; the newest ``keep_files`` are kept, and what they hold
is the window in which a redelivered decision is recognised.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import re
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import msgspec

from vectimus.core.paths import ensure_private_dir
from vectimus.core.receipts.receipt import ChainHead, Receipt, ReceiptError

T = TypeVar("T")
_FILE = re.compile(r"journal-(\d{8})\.jsonl")
LOCK_FILE = ".signer.lock"


class _Line(msgspec.Struct, kw_only=True, omit_defaults=True):
    receipt: Receipt | None = None
    hash: str = ""
    """``receipt_hash(receipt)``: what the next receipt of its chain links to."""
    heads: dict[str, ChainHead] | None = None


class JournalError(ReceiptError):
    """The journal cannot be written: nothing was signed; try again later."""

    code = "signer-journal-failed"


class JournalLockedError(JournalError):
    code = "signer-journal-locked"


class SignedJournal:
    """Receipts signed by this signer, by id; chain heads by key id. Thread-safe."""

    def __init__(
        self, directory: Path, *, max_file_bytes: int = 16 * 1024 * 1024, keep_files: int = 2
    ) -> None:
        self.directory = directory
        self.max_file_bytes = max_file_bytes
        self.keep_files = max(1, keep_files)
        self.heads: dict[str, ChainHead] = {}
        self._where: dict[str, tuple[int, int, int]] = {}
        """receipt id -> (file sequence, offset, length)."""
        self._lock = threading.Lock()
        self._lock_fd: int | None = None
        self._fd: int | None = None
        self._sequence = 0
        self._size = 0
        self._decoder = msgspec.json.Decoder(_Line)
        self._encoder = msgspec.json.Encoder()

    # --- opening -------------------------------------------------------------------------

    def open(self) -> None:
        """Take the directory's lock (JournalLockedError if another signer holds it) and
        read the kept files."""
        ensure_private_dir(self.directory)
        fd = os.open(self.directory / LOCK_FILE, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise JournalLockedError(
                f"another receipt-signer is using {self.directory}",
                hint="one signer per signing key and journal; stop the other one",
            ) from None
        self._lock_fd = fd
        files = self._files()
        for sequence, path in files:
            self._load(sequence, path)
        self._sequence = files[-1][0] if files else 1
        self._open_current()

    def _files(self) -> list[tuple[int, Path]]:
        found = []
        for entry in os.scandir(self.directory):
            match = _FILE.fullmatch(entry.name)
            if match is not None:
                found.append((int(match.group(1)), Path(entry.path)))
        return sorted(found)

    def _path(self, sequence: int) -> Path:
        return self.directory / f"journal-{sequence:08d}.jsonl"

    def _load(self, sequence: int, path: Path) -> None:
        data = path.read_bytes()
        end = data.rfind(b"\n") + 1
        if end < len(data):  # a line torn by a crash: that receipt was never published
            with path.open("r+b") as handle:
                handle.truncate(end)
        offset = 0
        for raw in data[:end].splitlines(keepends=True):
            try:
                line = self._decoder.decode(raw)
            except msgspec.MsgspecError as exc:
                raise ReceiptError(
                    f"{path}: corrupt journal line at byte {offset}: {exc}"
                ) from None
            if line.heads is not None:
                self.heads.update(line.heads)
            if line.receipt is not None:
                receipt = line.receipt
                self._where[receipt.receipt_id] = (sequence, offset, len(raw))
                self.heads[receipt.key_id] = ChainHead(
                    receipt_hash=line.hash,
                    timestamp=receipt.timestamp,
                    receipt_id=receipt.receipt_id,
                )
            offset += len(raw)

    def _open_current(self) -> None:
        path = self._path(self._sequence)
        self._fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o600)
        self._size = os.fstat(self._fd).st_size
        if self._size == 0 and self.heads:
            self._write(self._encoder.encode(_Line(heads=dict(self.heads))) + b"\n")

    # --- the HeadStore protocol ----------------------------------------------------------

    def advance(self, key_id: str, step: Callable[[ChainHead], tuple[T, ChainHead]]) -> T:
        """Sign (``step``) against the current head and record the receipt in one line."""
        with self._lock:
            result, head = step(self.heads.get(key_id, ChainHead()))
            if not isinstance(result, Receipt):
                raise TypeError("the signer journal records receipts only")
            if self._size >= self.max_file_bytes:
                self._rotate()
            line = self._encoder.encode(_Line(receipt=result, hash=head.receipt_hash)) + b"\n"
            offset = self._write(line)
            self.heads[key_id] = head
            self._where[result.receipt_id] = (self._sequence, offset, len(line))
            return result

    # --- lookups -------------------------------------------------------------------------

    def get(self, receipt_id: str) -> Receipt | None:
        """The receipt signed under ``receipt_id``, if this journal still holds it."""
        with self._lock:
            where = self._where.get(receipt_id)
            if where is None:
                return None
            sequence, offset, length = where
            try:
                with self._path(sequence).open("rb") as handle:
                    handle.seek(offset)
                    line = self._decoder.decode(handle.read(length))
            except (OSError, msgspec.MsgspecError):
                return None
            return line.receipt

    def sync(self) -> None:
        with self._lock:
            if self._fd is not None:
                os.fsync(self._fd)

    def close(self) -> None:
        with self._lock:
            if self._fd is not None:
                with contextlib.suppress(OSError):
                    os.fsync(self._fd)
                os.close(self._fd)
                self._fd = None
            if self._lock_fd is not None:
                os.close(self._lock_fd)
                self._lock_fd = None

    # --- internals (lock held) -----------------------------------------------------------

    def _write(self, line: bytes) -> int:
        if self._fd is None:
            raise JournalError(f"the signer journal in {self.directory} is not open")
        offset = self._size
        try:
            written = os.write(self._fd, line)
        except OSError as exc:
            raise JournalError(f"cannot write the signer journal: {exc.strerror}") from None
        if written != len(line):
            raise JournalError("short write to the signer journal")
        self._size += written
        return offset

    def _rotate(self) -> None:
        if self._fd is not None:
            os.fsync(self._fd)
            os.close(self._fd)
        self._sequence += 1
        self._open_current()
        for sequence, path in self._files()[: -self.keep_files]:
            path.unlink(missing_ok=True)
            self._where = {k: v for k, v in self._where.items() if v[0] != sequence}
