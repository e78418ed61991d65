"""Receipt segments: ``YYYY-MM-DD/receipts.jsonl``, the audit sink's receipt store."""

from __future__ import annotations

import stat
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path

import msgspec
import pytest

from vectimus.core.receipts.chain import verify_chain
from vectimus.core.receipts.keys import Keyring, SigningKey, keyring_dir
from vectimus.core.receipts.receipt import Receipt, ReceiptError, ReceiptSigner, receipt_bytes
from vectimus.core.receipts.store import (
    SEGMENT_FILE,
    FileHeadStore,
    ReceiptStore,
    iter_receipts,
    load_receipts,
    placement_problem,
    read_anchors,
)

Sign = Callable[..., list[Receipt]]


@pytest.fixture
def store(tmp_path: Path) -> ReceiptStore:
    return ReceiptStore(tmp_path / "receipts")


@pytest.fixture
def sign(store: ReceiptStore, key: SigningKey, many: Sign, step_clock: type) -> Sign:
    """``sign(count, start=None)``: that many receipts chained in ``store``'s directory."""

    def signed(count: int, start: datetime | None = None) -> list[Receipt]:
        heads = FileHeadStore.for_receipts_dir(store.root)
        return many(ReceiptSigner(key, heads, clock=step_clock(start)), count)

    return signed


def test_a_batch_is_one_line_per_receipt_in_its_days_segment(
    store: ReceiptStore, sign: Sign
) -> None:
    receipts = sign(3)
    store.append(receipts[:2])
    store.append(receipts[2:])
    segment = store.segment_for(receipts[0].timestamp[:10])
    assert segment.name == SEGMENT_FILE
    assert segment.read_bytes() == b"".join(receipt_bytes(r) + b"\n" for r in receipts)
    assert stat.S_IMODE(segment.stat().st_mode) == 0o600
    assert stat.S_IMODE(segment.parent.stat().st_mode) == 0o700
    found, problems = load_receipts(store.root)
    assert [entry.receipt for entry in found] == receipts and problems == []
    assert all(placement_problem(entry) is None for entry in found)
    assert verify_chain(iter_receipts(store.root), Keyring(keyring_dir())).ok


def test_receipts_of_several_days_go_to_each_days_segment(store: ReceiptStore, sign: Sign) -> None:
    first = sign(1, datetime(2026, 3, 1, 23, 59, tzinfo=UTC))
    second = sign(1, datetime(2026, 3, 2, 0, 1, tzinfo=UTC))
    store.append(first + second)
    assert sorted(p.parent.name for p in store.root.rglob(SEGMENT_FILE)) == [
        "2026-03-01",
        "2026-03-02",
    ]


def test_segments_and_single_files_are_read_together(store: ReceiptStore, sign: Sign) -> None:
    receipts = sign(4)
    store.write(receipts[0])  # a hook wrote this one
    store.append(receipts[1:])  # a sink these
    assert sorted(r.receipt_id for r in iter_receipts(store.root)) == sorted(
        r.receipt_id for r in receipts
    )
    assert verify_chain(iter_receipts(store.root), Keyring(keyring_dir())).ok


def test_a_batch_stored_again_after_a_crash_counts_once(store: ReceiptStore, sign: Sign) -> None:
    receipts = sign(2)
    store.append(receipts)
    store.append(receipts)  # redelivered: the audit records were never written
    found, problems = load_receipts(store.root)
    assert [entry.receipt for entry in found] == receipts and problems == []
    assert verify_chain(iter_receipts(store.root), Keyring(keyring_dir())).ok


def test_a_torn_last_line_is_cut_before_the_next_batch(store: ReceiptStore, sign: Sign) -> None:
    receipts = sign(3)
    store.append(receipts[:1])
    segment = store.segment_for(receipts[0].timestamp[:10])
    with segment.open("ab") as handle:  # a writer killed halfway through its line
        handle.write(receipt_bytes(receipts[1])[:40])
    found, problems = load_receipts(store.root)
    assert len(found) == 1
    assert len(problems) == 1 and f"{segment}:2" in problems[0].reason
    store.append(receipts[1:])
    found, problems = load_receipts(store.root)
    assert [entry.receipt for entry in found] == receipts and problems == []


def test_a_segment_that_is_all_torn_is_emptied(store: ReceiptStore, sign: Sign) -> None:
    receipts = sign(1)
    segment = store.segment_for(receipts[0].timestamp[:10])
    segment.parent.mkdir(parents=True)
    segment.write_bytes(b"x" * 100_000)  # no newline anywhere, longer than one tail read
    store.append(receipts)
    assert segment.read_bytes() == receipt_bytes(receipts[0]) + b"\n"


def test_a_changed_line_is_reported_and_breaks_the_chain(store: ReceiptStore, sign: Sign) -> None:
    receipts = sign(3)
    store.append(receipts)
    segment = store.segment_for(receipts[0].timestamp[:10])
    lines = segment.read_bytes().splitlines(keepends=True)
    changed = lines[1].replace(b'"decision":"deny"', b'"decision":"allow"')
    assert changed != lines[1]
    segment.write_bytes(lines[0] + changed + lines[2])
    assert not verify_chain(iter_receipts(store.root), Keyring(keyring_dir())).ok
    lines[1] = b"{not json\n"
    segment.write_bytes(b"".join(lines))
    found, problems = load_receipts(store.root)
    assert len(found) == 2 and len(problems) == 1 and "not valid JSON" in problems[0].reason


def test_a_segment_in_the_wrong_days_folder_is_reported(store: ReceiptStore, sign: Sign) -> None:
    receipts = sign(1, datetime(2026, 3, 1, tzinfo=UTC))
    store.append(receipts)
    moved = store.root / "2026-03-09"
    store.segment_for("2026-03-01").parent.rename(moved)
    [entry] = load_receipts(store.root)[0]
    assert placement_problem(entry) == "dated 2026-03-01 but stored under 2026-03-09/"


def test_a_symlink_in_place_of_a_segment_is_refused(
    store: ReceiptStore, sign: Sign, tmp_path: Path
) -> None:
    receipts = sign(1)
    victim = tmp_path / "victim"
    victim.write_text("keep me")
    segment = store.segment_for(receipts[0].timestamp[:10])
    segment.parent.mkdir(parents=True)
    segment.symlink_to(victim)
    with pytest.raises(ReceiptError, match="cannot append"):
        store.append(receipts)
    assert victim.read_text() == "keep me"


def test_a_malformed_timestamp_is_refused_before_anything_is_written(
    store: ReceiptStore, sign: Sign
) -> None:
    [good] = sign(1)
    bad = msgspec.structs.replace(good, timestamp="../../etc/x")
    with pytest.raises(ReceiptError, match="malformed timestamp"):
        store.append([good, bad])
    assert not store.root.exists()


def test_prune_counts_and_anchors_the_receipts_of_segments(
    store: ReceiptStore, sign: Sign, key: SigningKey
) -> None:
    for day in (1, 2, 3):
        start = datetime(2026, 3, day, 10, tzinfo=UTC)
        store.append(sign(2, start))
    result = store.prune(days=1, key=key, today=date(2026, 3, 3))
    assert [p.name for p in result.removed_dirs] == ["2026-03-01"]
    assert result.removed_receipts == 2
    keyring = Keyring(keyring_dir())
    anchors, problem = read_anchors(store.root, keyring)
    assert problem is None
    assert verify_chain(iter_receipts(store.root), keyring, anchors=anchors).ok
