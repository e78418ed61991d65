"""Chain verification: pure over a list of receipts (and a keyring to check signatures).

Receipts are grouped by ``key_id`` (one chain per signing key) and put in order by their
``prev_receipt_hash`` links, not by file name or timestamp. Problems, each naming a receipt:

- ``tampered``: the receipt is malformed, its key is unknown, or its signature does not
  verify (its content changed after signing);
- ``missing``: its ``prev_receipt_hash`` matches no receipt (nor a prune anchor): the
  predecessor was deleted, or was changed (then it is also listed as tampered);
- ``reordered``: its timestamp is earlier than its predecessor's, against the links (the
  signer never does this: it assigns timestamps under the chain lock, never going back);
- ``forked``: two receipts claim the same predecessor, or a second chain start appears;
- ``duplicate``: the same receipt appears twice.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Literal, NamedTuple

from vectimus.core.errors import VectimusError
from vectimus.core.receipts.keys import Keyring
from vectimus.core.receipts.receipt import GENESIS_PREV, Receipt, verify_receipt_with_hash

ProblemKind = Literal["tampered", "missing", "reordered", "forked", "duplicate", "unreadable"]


class ChainProblem(NamedTuple):
    kind: ProblemKind
    receipt_id: str
    detail: str

    def __str__(self) -> str:
        return f"{self.kind.upper()} {self.receipt_id}: {self.detail}"


@dataclass
class ChainReport:
    """The outcome: receipt ids per key in link order, and every problem found."""

    receipts: int = 0
    chains: dict[str, list[str]] = field(default_factory=dict)
    problems: list[ChainProblem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def _short(digest: str) -> str:
    return digest[:16] + "…" if len(digest) > 16 else digest


def verify_chain(
    receipts: Iterable[Receipt],
    keyring: Keyring,
    *,
    anchors: Mapping[str, frozenset[str]] | None = None,
) -> ChainReport:
    """Verify every receipt and the links between them. ``anchors`` are, per key id, the
    hashes of pruned receipts that a chain's first remaining receipt may point to."""
    anchors = anchors or {}
    report = ChainReport()
    groups: dict[str, list[Receipt]] = {}
    for receipt in receipts:
        report.receipts += 1
        groups.setdefault(receipt.key_id, []).append(receipt)
    for key_id in sorted(groups):
        order, problems = _verify_group(groups[key_id], keyring, anchors.get(key_id, frozenset()))
        report.chains[key_id] = order
        report.problems.extend(problems)
    return report


def _index(
    group: list[Receipt], keyring: Keyring, problems: list[ChainProblem]
) -> tuple[dict[str, Receipt], bool]:
    """Receipts by hash, with tampered and duplicate ones reported; and whether any was
    tampered."""
    by_hash: dict[str, Receipt] = {}
    tampered = False
    for receipt in group:
        try:
            result, digest = verify_receipt_with_hash(receipt, keyring)
        except VectimusError as exc:
            problems.append(ChainProblem("tampered", receipt.receipt_id, str(exc)))
            tampered = True
            continue
        if digest in by_hash:
            problems.append(ChainProblem("duplicate", receipt.receipt_id, "appears more than once"))
            continue
        by_hash[digest] = receipt
        if not result.ok:
            problems.append(ChainProblem("tampered", receipt.receipt_id, result.reason))
            tampered = True
    return by_hash, tampered


def _link(
    by_hash: dict[str, Receipt],
    anchors: frozenset[str],
    tampered: bool,
    problems: list[ChainProblem],
) -> tuple[list[str], dict[str, list[str]]]:
    """Chain starts and each receipt's successors; reports missing predecessors."""
    starts: list[str] = []
    children: dict[str, list[str]] = {}
    for digest, receipt in by_hash.items():
        prev = receipt.prev_receipt_hash
        if prev == GENESIS_PREV or prev in anchors:
            starts.append(digest)
        elif prev in by_hash:
            children.setdefault(prev, []).append(digest)
        else:
            detail = f"its predecessor {_short(prev)} is missing"
            if tampered:
                detail += " (deleted, or changed: see the tampered receipts)"
            problems.append(ChainProblem("missing", receipt.receipt_id, detail))
            starts.append(digest)
    return starts, children


def _forks(
    by_hash: dict[str, Receipt],
    starts: list[str],
    children: dict[str, list[str]],
    problems: list[ChainProblem],
) -> None:
    def when(digest: str) -> tuple[str, str]:
        return by_hash[digest].timestamp, by_hash[digest].receipt_id

    genesis = sorted((d for d in starts if by_hash[d].prev_receipt_hash == GENESIS_PREV), key=when)
    first = by_hash[genesis[0]].receipt_id if genesis else ""
    for extra in genesis[1:]:
        problems.append(
            ChainProblem(
                "forked", by_hash[extra].receipt_id, f"a second chain start (the first is {first})"
            )
        )
    for parent, kids in children.items():
        if len(kids) > 1:
            kids.sort(key=when)
            ids = ", ".join(by_hash[k].receipt_id for k in kids)
            for kid in kids[1:]:
                problems.append(
                    ChainProblem(
                        "forked",
                        by_hash[kid].receipt_id,
                        f"receipts {ids} all follow {by_hash[parent].receipt_id}",
                    )
                )


def _walk(
    by_hash: dict[str, Receipt],
    starts: list[str],
    children: dict[str, list[str]],
    problems: list[ChainProblem],
) -> list[str]:
    """Receipt ids in link order; reports timestamps that go back along a link."""

    def when(digest: str) -> tuple[str, str]:
        return by_hash[digest].timestamp, by_hash[digest].receipt_id

    order: list[str] = []
    seen: set[str] = set()
    stack = sorted(starts, key=when, reverse=True)
    while stack:
        digest = stack.pop()
        if digest in seen:
            continue
        seen.add(digest)
        receipt = by_hash[digest]
        order.append(receipt.receipt_id)
        for kid in sorted(children.get(digest, ()), key=when, reverse=True):
            child = by_hash[kid]
            if child.timestamp < receipt.timestamp:
                problems.append(
                    ChainProblem(
                        "reordered",
                        child.receipt_id,
                        f"timestamp {child.timestamp} is before that of its predecessor "
                        f"{receipt.receipt_id} ({receipt.timestamp})",
                    )
                )
            stack.append(kid)
    for digest, receipt in by_hash.items():  # only possible through a hash cycle
        if digest not in seen:
            problems.append(
                ChainProblem("forked", receipt.receipt_id, "not reachable from a chain start")
            )
    return order


def _verify_group(
    group: list[Receipt], keyring: Keyring, anchors: frozenset[str]
) -> tuple[list[str], list[ChainProblem]]:
    problems: list[ChainProblem] = []
    by_hash, tampered = _index(group, keyring, problems)
    starts, children = _link(by_hash, anchors, tampered, problems)
    _forks(by_hash, starts, children, problems)
    return _walk(by_hash, starts, children, problems), problems
