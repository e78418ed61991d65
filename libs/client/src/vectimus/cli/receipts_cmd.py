"""`vectimus receipts prune|export-key|rotate-key`: manage stored receipts and the signing key."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from vectimus.core.errors import VectimusError
from vectimus.core.receipts.keys import (
    Keyring,
    keyring_dir,
    load_or_create_signing_key,
    public_key_pem,
    rotate_signing_key,
)
from vectimus.core.receipts.store import ReceiptStore


def configure(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="receipts_command", metavar="ACTION", required=True)

    prune = sub.add_parser(
        "prune",
        help="delete stored receipts by date directory",
        description="Delete <project>/.vectimus/receipts/YYYY-MM-DD directories.",
    )
    which = prune.add_mutually_exclusive_group(required=True)
    which.add_argument(
        "--days", type=int, metavar="N", help="remove directories more than N days old (UTC)"
    )
    which.add_argument("--all", action="store_true", help="remove every receipt directory")
    prune.add_argument(
        "--project", type=Path, default=Path(), help="project root (default: current directory)"
    )

    export = sub.add_parser(
        "export-key",
        help="print a public key (PEM) for verifiers",
        description="Print the current public key, or the one with --key-id, as PEM.",
    )
    export.add_argument("--key-id", metavar="ID", help="an older key, e.g. ed25519:0123abcd...")

    sub.add_parser(
        "rotate-key",
        help="replace the signing key (old receipts keep verifying)",
        description="Archive the signing key and start signing with a new one.",
    )


def _error(message: str) -> int:
    print(f"vectimus receipts: error: {message}", file=sys.stderr)
    return 2


def run(args: argparse.Namespace) -> int:
    try:
        if args.receipts_command == "prune":
            return _prune(args)
        if args.receipts_command == "export-key":
            return _export(args.key_id)
        return _rotate()
    except VectimusError as exc:
        return _error(str(exc))
    except OSError as exc:
        return _error(f"{exc.filename or ''}: {exc.strerror or exc}")


def _prune(args: argparse.Namespace) -> int:
    if args.days is not None and args.days < 0:
        return _error("--days must be 0 or more")
    if not args.project.is_dir():
        return _error(f"{args.project}: not a directory")
    store = ReceiptStore.for_project(args.project)
    days = None if args.all else args.days
    result = store.prune(days=days, key=load_or_create_signing_key())
    for folder in result.removed_dirs:
        print(f"removed {folder}")
    scope = "all receipts" if days is None else f"receipts more than {days} day(s) old"
    if not result.removed_dirs:
        print(f"nothing to prune ({scope}) in {store.root}")
    else:
        print(
            f"pruned {result.removed_receipts} receipt(s) in {len(result.removed_dirs)} "
            f"directory(ies) ({scope})"
        )
    return 0


def _export(key_id: str | None) -> int:
    if key_id is None:
        public_key = load_or_create_signing_key().public_key
    else:
        public_key = Keyring(keyring_dir()).get(key_id)
    sys.stdout.write(public_key_pem(public_key).decode("ascii"))
    return 0


def _rotate() -> int:
    rotation = rotate_signing_key()
    print(f"rotated signing key {rotation.old_key_id} -> {rotation.new_key_id}")
    print(f"archived old private key: {rotation.archived_private_key}")
    print(f"new public key: {rotation.public_key_file}")
    return 0
