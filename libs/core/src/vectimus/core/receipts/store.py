"""Receipt files and chain heads on disk.

- :class:`FileHeadStore`: the chain heads of one receipt directory, in
  ``<vectimus_home()>/chains/<digest of the directory path>.head``, updated under an
  ``fcntl.flock`` so concurrent hook processes never fork a chain.
- :class:`ReceiptStore`: ``<project>/.vectimus/receipts/YYYY-MM-DD/<receipt_id>.json``, one
  canonical-JSON file per receipt (mode 0600, directories 0700), written to a temporary name
  and renamed into place; pruning by date directory.
- Receipt segments: ``YYYY-MM-DD/receipts.jsonl`` in the same directories, one canonical
  receipt per line, appended a batch at a time. The audit sink stores receipts so: on ext4 a
  file created per receipt cost it 300 to 400 us of CPU per record, most of its work, and a
  day of a busy gateway is too many files for one directory. Readers take both forms.

Why one head per receipt directory: receipts are stored per project, and a chain that ran
through every project would show gaps in each project's directory. Keying the head by the
directory keeps each directory a complete chain per signing key.

Pruning removes the oldest receipts on purpose, so it records what it removed: the hashes of
the last removed receipt of each chain go into a signed ``.prune-anchors`` file in the
receipts directory, and the chain check accepts a first receipt whose predecessor is one of
them. Deleting receipts any other way shows up as a missing predecessor.
"""

from __future__ import annotations

import base64
import contextlib
import fcntl
import os
import re
import shutil
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import NamedTuple, TypeVar

import msgspec

from vectimus.core.paths import ensure_private_dir, project_dir, vectimus_home
from vectimus.core.receipts.jcs import CanonicalisationError, canonicalize, sha256_hex
from vectimus.core.receipts.keys import KEY_ID_PATTERN, KeyFileError, Keyring, SigningKey
from vectimus.core.receipts.receipt import (
    ChainHead,
    Receipt,
    ReceiptError,
    ReceiptFormatError,
    decode_receipt,
    decode_signature,
    encode_receipt,
    format_timestamp,
    receipt_hash,
)

T = TypeVar("T")

_DATE_DIR = re.compile(r"\d{4}-\d{2}-\d{2}")
SEGMENT_FILE = "receipts.jsonl"
SEGMENT_SUFFIX = ".jsonl"
_TAIL_CHUNK = 1 << 16
ANCHORS_FILE = ".prune-anchors"
_LAST_PRUNE_FILE = ".last-prune"


def receipts_dir(project_root: Path) -> Path:
    """``<project>/.vectimus/receipts``."""
    return project_dir(project_root) / "receipts"


def _write_private(path: str | Path, data: bytes) -> None:
    """Write ``data`` to ``path`` (0600) via a temporary name and an atomic rename.
    (String paths: the audit sink writes one receipt per record, and pathlib was a tenth
    of its work.)"""
    directory, name = os.path.split(path)
    tmp = f"{directory or '.'}/.{name}.{os.getpid()}.{threading.get_ident()}.tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o600)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
    except BaseException:
        os.close(fd)
        with contextlib.suppress(OSError):
            os.unlink(tmp)  # noqa: PTH108
        raise
    os.close(fd)
    os.replace(tmp, path)  # noqa: PTH105


def _day_of(receipt: Receipt) -> str:
    """The date directory of ``receipt``; a timestamp that names no date is refused, so it
    can never name a path outside the receipts directory."""
    day = receipt.timestamp[:10]
    if _DATE_DIR.fullmatch(day) is None:
        raise ReceiptError(f"receipt {receipt.receipt_id} has a malformed timestamp")
    return day


def _append_locked(path: Path, data: bytes) -> None:
    flags = os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_CLOEXEC | os.O_NOFOLLOW
    fd = os.open(path, flags, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        _cut_torn_tail(fd)
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
    finally:
        os.close(fd)  # and the lock with it


def _cut_torn_tail(fd: int) -> None:
    """Truncate a segment that does not end with a newline back to its last one."""
    size = os.fstat(fd).st_size
    if size == 0 or os.pread(fd, 1, size - 1) == b"\n":
        return
    end = size
    while end > 0:
        start = max(0, end - _TAIL_CHUNK)
        newline = os.pread(fd, end - start, start).rfind(b"\n")
        if newline >= 0:
            os.ftruncate(fd, start + newline + 1)
            return
        end = start
    os.ftruncate(fd, 0)


# --- chain heads ---------------------------------------------------------------------------


class _HeadFile(msgspec.Struct, kw_only=True):
    v: int = 1
    heads: dict[str, ChainHead] = msgspec.field(default_factory=dict)


class FileHeadStore:
    """Chain heads in a file, advanced under an exclusive ``flock`` on a sibling lock file."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.lock_path = path.with_name(path.name + ".lock")
        self._thread_lock = threading.Lock()
        self._fd: int | None = None

    @classmethod
    def for_receipts_dir(cls, directory: Path, *, home: Path | None = None) -> FileHeadStore:
        """The head store of ``directory``'s chains, under ``<home>/chains/``."""
        digest = sha256_hex(str(directory.resolve()).encode("utf-8", "surrogateescape"))
        return cls((home or vectimus_home()) / "chains" / f"{digest[:32]}.head")

    def _lock_fd(self) -> int:
        if self._fd is None:
            ensure_private_dir(self.path.parent)
            self._fd = os.open(self.lock_path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        return self._fd

    def _read(self) -> _HeadFile:
        try:
            data = self.path.read_bytes()
        except FileNotFoundError:
            return _HeadFile()
        try:
            return msgspec.json.decode(data, type=_HeadFile)
        except msgspec.MsgspecError as exc:
            raise ReceiptError(
                f"chain head file {self.path} is corrupt: {exc}",
                hint=f"remove {self.path} to start new chains",
            ) from None

    def read(self, key_id: str) -> ChainHead:
        return self._read().heads.get(key_id, ChainHead())

    def advance(self, key_id: str, step: Callable[[ChainHead], tuple[T, ChainHead]]) -> T:
        with self._thread_lock:
            try:
                fd = self._lock_fd()
                fcntl.flock(fd, fcntl.LOCK_EX)
            except OSError as exc:
                raise ReceiptError(f"cannot lock chain head {self.lock_path}: {exc}") from None
            try:
                state = self._read()
                result, head = step(state.heads.get(key_id, ChainHead()))
                state.heads[key_id] = head
                try:
                    _write_private(self.path, msgspec.json.encode(state))
                except OSError as exc:
                    raise ReceiptError(f"cannot write chain head {self.path}: {exc}") from None
                return result
            finally:
                fcntl.flock(fd, fcntl.LOCK_UN)

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


# --- receipt files -------------------------------------------------------------------------


class StoredReceipt(NamedTuple):
    path: Path
    receipt: Receipt


class LoadProblem(NamedTuple):
    path: Path
    reason: str


def load_receipt_file(path: Path) -> Receipt:
    """Read one receipt file; :class:`ReceiptFormatError` names the file and the problem."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise ReceiptFormatError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise ReceiptFormatError(f"{path}: is a directory, not a receipt file") from None
    except OSError as exc:
        raise ReceiptFormatError(f"{path}: cannot read: {exc.strerror}") from None
    return decode_receipt(data, origin=str(path))


def receipt_files(directory: Path) -> list[Path]:
    """Every receipt file (``*.json``) and segment (``*.jsonl``) under ``directory``,
    recursively, in path order."""
    return sorted(
        p
        for p in directory.rglob("*.json*")
        if p.suffix in (".json", SEGMENT_SUFFIX) and p.is_file()
    )


def load_receipt_segment(path: Path) -> tuple[list[Receipt], list[LoadProblem]]:
    """The receipts of one segment, and a problem per line that is not one. A line written
    twice (a batch stored again after a crash, before its audit records were) counts once."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        return [], [LoadProblem(path, f"cannot read: {exc.strerror}")]
    found: list[Receipt] = []
    problems: list[LoadProblem] = []
    seen: set[bytes] = set()
    for number, line in enumerate(data.split(b"\n"), start=1):
        if not line or line in seen:
            continue
        seen.add(line)
        try:
            found.append(decode_receipt(line, origin=f"{path}:{number}"))
        except ReceiptFormatError as exc:
            problems.append(LoadProblem(path, exc.message))
    return found, problems


def _load_any(path: Path) -> tuple[list[Receipt], list[LoadProblem]]:
    if path.suffix == SEGMENT_SUFFIX:
        return load_receipt_segment(path)
    try:
        return [load_receipt_file(path)], []
    except ReceiptFormatError as exc:
        return [], [LoadProblem(path, exc.message)]


def load_receipts(directory: Path) -> tuple[list[StoredReceipt], list[LoadProblem]]:
    """All receipts under ``directory``; what is not a receipt comes back as a problem."""
    found: list[StoredReceipt] = []
    problems: list[LoadProblem] = []
    for path in receipt_files(directory):
        receipts, unreadable = _load_any(path)
        found.extend(StoredReceipt(path, receipt) for receipt in receipts)
        problems.extend(unreadable)
    return found, problems


def placement_problem(stored: StoredReceipt) -> str | None:
    """Why a receipt is not where the store would have put it (a moved or swapped file)."""
    path, receipt = stored
    if path.suffix != SEGMENT_SUFFIX and path.stem != receipt.receipt_id:
        return f"file {path.name} holds receipt {receipt.receipt_id}"
    folder = path.parent.name
    if _DATE_DIR.fullmatch(folder) and folder != receipt.timestamp[:10]:
        return f"dated {receipt.timestamp[:10]} but stored under {folder}/"
    return None


class PruneResult(NamedTuple):
    removed_dirs: list[Path]
    removed_receipts: int


class PruneAnchors(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Signed record of the last pruned receipt hash(es) of each chain."""

    v: int = 1
    anchors: dict[str, tuple[str, ...]]
    updated_at: str
    key_id: str
    signature: str = ""


def _anchor_signing_bytes(anchors: PruneAnchors) -> bytes:
    data = msgspec.to_builtins(anchors)
    del data["signature"]
    return canonicalize(data)


class ReceiptStore:
    """Receipt files of one receipts directory (usually ``<project>/.vectimus/receipts``)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._root = os.fspath(root)
        self._made_dirs: set[str] = set()

    @classmethod
    def for_project(cls, project_root: Path) -> ReceiptStore:
        return cls(receipts_dir(project_root))

    def path_for(self, receipt: Receipt) -> Path:
        return self.root / receipt.timestamp[:10] / f"{receipt.receipt_id}.json"

    def write(self, receipt: Receipt) -> None:
        """Write ``receipt`` to its dated directory (the file :meth:`path_for` names)."""
        day = _day_of(receipt)
        path = f"{self._root}/{day}/{receipt.receipt_id}.json"
        try:
            self._ensure_day(day)
            _write_private(path, encode_receipt(receipt))
        except OSError as exc:
            raise ReceiptError(f"cannot write receipt {path}: {exc}") from None

    def segment_for(self, day: str) -> Path:
        return self.root / day / SEGMENT_FILE

    def append(self, receipts: Sequence[Receipt]) -> None:
        """Append ``receipts`` to the segments of their days: one write per day, under an
        exclusive ``flock`` of the segment, so writers sharing a directory never interleave.
        A torn last line (a writer killed mid-write) is cut off before the batch goes on."""
        by_day: dict[str, list[bytes]] = {}
        for receipt in receipts:
            by_day.setdefault(_day_of(receipt), []).append(encode_receipt(receipt))
        for day, lines in by_day.items():
            path = self.segment_for(day)
            try:
                self._ensure_day(day)
                _append_locked(path, b"".join(lines))
            except OSError as exc:
                raise ReceiptError(f"cannot append to {path}: {exc}") from None

    def _ensure_day(self, day: str) -> None:
        """The root and ``day``'s directory exist, 0700 (checked once per process)."""
        if day not in self._made_dirs:
            ensure_private_dir(self.root)
            ensure_private_dir(self.root / day)
            self._made_dirs.add(day)

    # --- pruning -------------------------------------------------------------------------

    def date_dirs(self) -> list[tuple[date, Path]]:
        if not self.root.is_dir():
            return []
        found = []
        for entry in self.root.iterdir():
            if entry.is_dir() and _DATE_DIR.fullmatch(entry.name):
                try:
                    found.append((date.fromisoformat(entry.name), entry))
                except ValueError:
                    continue
        return sorted(found)

    def prune(self, *, days: int | None, key: SigningKey, today: date | None = None) -> PruneResult:
        """Remove date directories more than ``days`` days before ``today`` (UTC), or all of
        them when ``days`` is None. Records the removed chain ends, signed with ``key``."""
        today = today or datetime.now(UTC).date()
        cutoff = None if days is None else today - timedelta(days=days)
        doomed = [path for day, path in self.date_dirs() if cutoff is None or day < cutoff]
        if not doomed:
            return PruneResult([], 0)
        hashes: dict[str, set[str]] = {}
        prevs: dict[str, set[str]] = {}
        count = 0
        for folder in doomed:
            for path in receipt_files(folder):
                receipts, unreadable = _load_any(path)
                count += len(receipts) + len(unreadable)
                for receipt in receipts:
                    try:
                        digest = receipt_hash(receipt)
                    except CanonicalisationError:
                        continue  # not a receipt: nothing of a chain to anchor
                    hashes.setdefault(receipt.key_id, set()).add(digest)
                    prevs.setdefault(receipt.key_id, set()).add(receipt.prev_receipt_hash)
        old = self.read_anchors_unverified()
        merged: dict[str, set[str]] = {k: set(v) for k, v in old.items()}
        for key_id, chain_hashes in hashes.items():
            merged.setdefault(key_id, set()).update(chain_hashes - prevs[key_id])
        for key_id, chain_prevs in prevs.items():
            merged[key_id] -= chain_prevs  # superseded: what pointed at them is gone too
        self.write_anchors({k: tuple(sorted(v)) for k, v in merged.items() if v}, key)
        for folder in doomed:
            shutil.rmtree(folder)
        return PruneResult(doomed, count)

    def prune_if_due(self, *, retention_days: int, key: SigningKey) -> PruneResult | None:
        """Prune at most once per UTC day (a stamp file records the last run)."""
        stamp = self.root / _LAST_PRUNE_FILE
        today = datetime.now(UTC).date().isoformat()
        try:
            if stamp.read_text(encoding="ascii").strip() == today:
                return None
        except (OSError, UnicodeDecodeError):
            pass
        result = self.prune(days=retention_days, key=key)
        with contextlib.suppress(OSError):
            _write_private(stamp, today.encode("ascii"))
        return result

    # --- anchors -------------------------------------------------------------------------

    @property
    def anchors_path(self) -> Path:
        return self.root / ANCHORS_FILE

    def read_anchors_unverified(self) -> dict[str, tuple[str, ...]]:
        try:
            record = msgspec.json.decode(self.anchors_path.read_bytes(), type=PruneAnchors)
        except (OSError, msgspec.MsgspecError):
            return {}
        return record.anchors

    def write_anchors(self, anchors: Mapping[str, tuple[str, ...]], key: SigningKey) -> None:
        record = PruneAnchors(
            anchors=dict(anchors),
            updated_at=format_timestamp(datetime.now(UTC)),
            key_id=key.key_id,
        )
        signature = base64.b64encode(key.sign(_anchor_signing_bytes(record))).decode("ascii")
        record = msgspec.structs.replace(record, signature=signature)
        ensure_private_dir(self.root)
        _write_private(self.anchors_path, canonicalize(msgspec.to_builtins(record)) + b"\n")


def read_anchors(directory: Path, keyring: Keyring) -> tuple[dict[str, frozenset[str]], str | None]:
    """Verified prune anchors of a receipts directory: ``(anchors, problem)``.

    No anchors file is no problem. A file that does not parse or verify yields no anchors and
    a problem message, so a forged file cannot excuse deleted receipts.
    """
    path = directory / ANCHORS_FILE
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return {}, None
    except OSError as exc:
        return {}, f"{path}: cannot read: {exc.strerror}"
    try:
        record = msgspec.json.decode(data, type=PruneAnchors)
    except msgspec.MsgspecError as exc:
        return {}, f"{path}: not a prune anchors file: {exc}"
    signature = decode_signature(record.signature)
    if signature is None or KEY_ID_PATTERN.fullmatch(record.key_id) is None:
        return {}, f"{path}: malformed signature or key id"
    try:
        valid = keyring.verify(record.key_id, signature, _anchor_signing_bytes(record))
    except KeyFileError as exc:
        return {}, f"{path}: {exc}"
    if not valid:
        return {}, f"{path}: bad signature: the prune anchors were changed"
    return {k: frozenset(v) for k, v in record.anchors.items()}, None


def iter_receipts(directory: Path) -> Iterator[Receipt]:
    """Receipts under ``directory`` in path order, skipping what is not a receipt."""
    for path in receipt_files(directory):
        yield from _load_any(path)[0]
