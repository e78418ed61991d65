from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import msgspec

from vectimus.core.events import Decision, Event
from vectimus.core.receipts.chain import verify_chain
from vectimus.core.receipts.keys import Keyring, SigningKey
from vectimus.core.receipts.receipt import (
    ChainHead,
    MemoryHeadStore,
    Receipt,
    ReceiptSigner,
    build_receipt,
    format_timestamp,
    receipt_hash,
    sign_receipt,
)


def _keyring(*keys: SigningKey) -> Keyring:
    return Keyring(keys=tuple(k.public_key for k in keys))


def _chain(key: SigningKey, many: Callable[..., list[Receipt]], count: int) -> list[Receipt]:
    signer = ReceiptSigner(key, MemoryHeadStore())
    return many(signer, count)


def test_intact_chain_is_ok_and_ordered_by_links(
    key: SigningKey, many: Callable[..., list[Receipt]]
) -> None:
    receipts = _chain(key, many, 6)
    shuffled = [receipts[i] for i in (3, 0, 5, 1, 4, 2)]
    report = verify_chain(shuffled, _keyring(key))
    assert report.ok, report.problems
    assert report.chains[key.key_id] == [r.receipt_id for r in receipts]


def test_a_deleted_receipt_is_reported_by_its_successor(
    key: SigningKey, many: Callable[..., list[Receipt]]
) -> None:
    receipts = _chain(key, many, 5)
    del receipts[2]
    report = verify_chain(receipts, _keyring(key))
    assert [(p.kind, p.receipt_id) for p in report.problems] == [
        ("missing", receipts[2].receipt_id)
    ]
    assert "predecessor" in report.problems[0].detail


def test_a_changed_receipt_is_reported_as_tampered(
    key: SigningKey, many: Callable[..., list[Receipt]]
) -> None:
    receipts = _chain(key, many, 4)
    receipts[1] = msgspec.structs.replace(receipts[1], decision="allow")
    report = verify_chain(receipts, _keyring(key))
    kinds = {(p.kind, p.receipt_id) for p in report.problems}
    assert ("tampered", receipts[1].receipt_id) in kinds
    assert ("missing", receipts[2].receipt_id) in kinds  # its link no longer matches


def test_receipts_out_of_order_with_their_links_are_reported(
    key: SigningKey, event: Callable[..., Event], decision: Callable[..., Decision]
) -> None:
    """A signer whose timestamps disagree with the links: the 3rd claims an earlier time."""
    start = datetime(2026, 4, 1, tzinfo=UTC)
    offsets = [0, 10, 5, 20]
    receipts: list[Receipt] = []
    prev = ""
    for offset in offsets:
        unsigned = build_receipt(
            event(),
            decision(),
            policy_set_hash="p",
            pack_versions={},
            source="claude-code",
            principal="alice",
            key_id=key.key_id,
            prev_receipt_hash=prev,
            timestamp=format_timestamp(start + timedelta(seconds=offset)),
        )
        receipt = sign_receipt(unsigned, key)
        receipts.append(receipt)
        prev = receipt_hash(receipt)
    report = verify_chain(receipts, _keyring(key))
    assert [(p.kind, p.receipt_id) for p in report.problems] == [
        ("reordered", receipts[2].receipt_id)
    ]
    assert receipts[1].receipt_id in report.problems[0].detail


def test_forks_and_duplicates_are_reported(
    key: SigningKey, many: Callable[..., list[Receipt]]
) -> None:
    receipts = _chain(key, many, 3)
    second_genesis = _chain(key, many, 1)[0]
    report = verify_chain([*receipts, receipts[1], second_genesis], _keyring(key))
    kinds = sorted((p.kind, p.receipt_id) for p in report.problems)
    assert kinds == [("duplicate", receipts[1].receipt_id), ("forked", second_genesis.receipt_id)]


def test_two_receipts_claiming_one_predecessor_is_a_fork(
    key: SigningKey, many: Callable[..., list[Receipt]]
) -> None:
    receipts = _chain(key, many, 3)
    heads = MemoryHeadStore()
    signer = ReceiptSigner(key, heads)
    many(signer, 1)
    branch_from = receipts[0]
    heads.heads[key.key_id] = ChainHead(
        receipt_hash=receipt_hash(branch_from), timestamp=branch_from.timestamp
    )
    branch = many(signer, 1)[0]
    report = verify_chain([*receipts, branch], _keyring(key))
    assert [p.kind for p in report.problems] == ["forked"]
    assert receipts[0].receipt_id in report.problems[0].detail


def test_each_key_is_its_own_chain(key: SigningKey, many: Callable[..., list[Receipt]]) -> None:
    other = SigningKey.generate()
    first = _chain(key, many, 3)
    second = _chain(other, many, 2)
    report = verify_chain([*second, *first], _keyring(key, other))
    assert report.ok, report.problems
    assert set(report.chains) == {key.key_id, other.key_id}
    assert len(report.chains[other.key_id]) == 2


def test_unknown_key_is_tampered(key: SigningKey, many: Callable[..., list[Receipt]]) -> None:
    receipts = _chain(key, many, 2)
    report = verify_chain(receipts, Keyring())
    assert {p.kind for p in report.problems} == {"tampered"}
    assert all("no public key" in p.detail for p in report.problems)


def test_anchors_excuse_a_pruned_prefix(
    key: SigningKey, many: Callable[..., list[Receipt]]
) -> None:
    receipts = _chain(key, many, 5)
    kept = receipts[2:]
    assert not verify_chain(kept, _keyring(key)).ok
    anchors = {key.key_id: frozenset({receipt_hash(receipts[1])})}
    report = verify_chain(kept, _keyring(key), anchors=anchors)
    assert report.ok, report.problems
