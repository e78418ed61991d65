from __future__ import annotations

import itertools
import os
import time

import pytest

from vectimus.core.receipts.ids import (
    RECEIPT_ID_PATTERN,
    is_safe_receipt_id,
    new_receipt_id,
    receipt_id_time_ms,
)


def test_ids_are_uuid7_and_sort_in_creation_order() -> None:
    made = [new_receipt_id() for _ in range(5000)]
    assert all(RECEIPT_ID_PATTERN.fullmatch(i) for i in made)
    assert made == sorted(made)
    assert len(set(made)) == len(made)


def test_id_carries_its_creation_time() -> None:
    before = time.time_ns() // 1_000_000
    made = new_receipt_id()
    after = time.time_ns() // 1_000_000
    stamp = receipt_id_time_ms(made)
    assert stamp is not None
    assert before <= stamp <= after + 1
    assert receipt_id_time_ms("not-an-id") is None


def test_ids_stay_ordered_when_the_clock_stalls_or_goes_back(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    stalled = 1_900_000_000_000_000_000
    readings = itertools.chain([stalled] * 5000, itertools.repeat(stalled - 10**12))
    monkeypatch.setattr(time, "time_ns", lambda: next(readings))
    made = [new_receipt_id() for _ in range(5010)]
    assert made == sorted(made)
    assert len(set(made)) == len(made)


@pytest.mark.parametrize("bad", ["", "../etc/passwd", ".hidden", "a/b", "x" * 200, "id with space"])
def test_unsafe_ids_are_recognised(bad: str) -> None:
    assert not is_safe_receipt_id(bad)


def test_new_ids_are_safe() -> None:
    assert is_safe_receipt_id(new_receipt_id())


def test_a_forked_child_draws_fresh_random_bits() -> None:
    """The random bits are read from the OS in blocks; a child must not reuse its parent's."""
    new_receipt_id()  # the parent has a block in hand
    reader, writer = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        os.write(writer, new_receipt_id().encode())
        os._exit(0)
    os.close(writer)
    child = os.read(reader, 64).decode()
    os.waitpid(pid, 0)
    os.close(reader)
    parent = new_receipt_id()
    assert child[19:] != parent[19:]  # variant nibble and the 62 random bits
