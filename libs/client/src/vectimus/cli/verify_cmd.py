"""`vectimus verify FILE` and `vectimus verify --chain DIR`: check receipt signatures and chains.

FILE is one receipt file (``<receipt id>.json``, as the hook writes them) or a segment
(``receipts.jsonl``, as the audit sink writes them), whose receipts are each checked.

Exit status: 0 all good; 1 a receipt or chain failed verification; 2 the input could not be
used (missing file, not JSON, not a receipt, bad arguments).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from vectimus.core.errors import VectimusError
from vectimus.core.receipts.chain import verify_chain
from vectimus.core.receipts.keys import Keyring, keyring_dir, load_public_key_file
from vectimus.core.receipts.receipt import Receipt, verify_receipt
from vectimus.core.receipts.store import (
    ANCHORS_FILE,
    SEGMENT_SUFFIX,
    load_receipt_file,
    load_receipt_segment,
    load_receipts,
    placement_problem,
    read_anchors,
)

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_BAD_INPUT = 2


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "file",
        nargs="?",
        type=Path,
        help="one receipt file, or a receipt segment (receipts.jsonl), to verify",
    )
    parser.add_argument(
        "--chain",
        metavar="DIR",
        type=Path,
        help="verify every receipt under DIR (recursively) and the hash chains linking them",
    )
    parser.add_argument(
        "--keyring",
        metavar="DIR",
        type=Path,
        help="directory of <key>.pub.pem public keys (default: $VECTIMUS_HOME/keys)",
    )
    parser.add_argument(
        "--public-key",
        metavar="PEM",
        type=Path,
        action="append",
        default=[],
        help="also trust this public key file (repeatable)",
    )


def _error(message: str) -> int:
    print(f"vectimus verify: error: {message}", file=sys.stderr)
    return EXIT_BAD_INPUT


def run(args: argparse.Namespace) -> int:
    if (args.file is None) == (args.chain is None):
        return _error("give either a receipt FILE or --chain DIR")
    try:
        keyring = _keyring(args.keyring, args.public_key)
        if args.chain is not None:
            return _verify_chain(args.chain, keyring)
        return _verify_file(args.file, keyring)
    except VectimusError as exc:
        return _error(str(exc))
    except OSError as exc:
        return _error(f"{exc.filename or ''}: {exc.strerror or exc}")


def _keyring(directory: Path | None, extra: list[Path]) -> Keyring:
    keys = tuple(load_public_key_file(path) for path in extra)
    return Keyring(directory or keyring_dir(), keys)


def _verify_file(path: Path, keyring: Keyring) -> int:
    """One receipt file, or every receipt of a segment (``receipts.jsonl``)."""
    if path.suffix != SEGMENT_SUFFIX:
        return EXIT_OK if _verify_one(path, load_receipt_file(path), keyring) else EXIT_FAILED
    if not path.is_file():
        return _error(f"{path}: no such file")
    receipts, unreadable = load_receipt_segment(path)
    if not receipts and not unreadable:
        print(f"FAIL {path}: no receipts in it")
        return EXIT_FAILED
    failed = [receipt for receipt in receipts if not _verify_one(path, receipt, keyring)]
    for problem in unreadable:
        print(f"UNREADABLE {problem.reason}")
    return EXIT_FAILED if failed or unreadable else EXIT_OK


def _verify_one(path: Path, receipt: Receipt, keyring: Keyring) -> bool:
    result = verify_receipt(receipt, keyring)
    if result.ok:
        print(
            f"OK {path}: receipt {receipt.receipt_id} ({receipt.decision}, "
            f"{receipt.timestamp}) {result.reason}"
        )
    else:
        print(f"FAIL {path}: receipt {receipt.receipt_id}: {result.reason}")
    return result.ok


def _verify_chain(directory: Path, keyring: Keyring) -> int:
    if not directory.is_dir():
        return _error(f"{directory}: not a directory")
    stored, unreadable = load_receipts(directory)
    lines = [f"UNREADABLE {problem.path}: {problem.reason}" for problem in unreadable]
    for entry in stored:
        misplaced = placement_problem(entry)
        if misplaced is not None:
            lines.append(f"REORDERED {entry.receipt.receipt_id}: {misplaced}")
    anchors: dict[str, frozenset[str]] = {}
    for anchors_file in sorted(directory.rglob(ANCHORS_FILE)):
        found, problem = read_anchors(anchors_file.parent, keyring)
        if problem is not None:
            lines.append(f"TAMPERED {problem}")
        for key_id, hashes in found.items():
            anchors[key_id] = anchors.get(key_id, frozenset()) | hashes
    report = verify_chain((entry.receipt for entry in stored), keyring, anchors=anchors)
    lines.extend(str(problem) for problem in report.problems)
    for line in lines:
        print(line)
    chains = len(report.chains)
    if not stored and not unreadable:
        print(f"chain FAIL: no receipts under {directory}")
        return EXIT_FAILED
    if lines:
        print(
            f"chain FAIL: {len(lines)} problem(s) in {report.receipts} receipt(s), "
            f"{chains} chain(s) under {directory}"
        )
        return EXIT_FAILED
    print(f"chain OK: {report.receipts} receipt(s) in {chains} chain(s) under {directory}")
    return EXIT_OK
