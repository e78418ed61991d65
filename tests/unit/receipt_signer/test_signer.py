"""Signing decisions through the signer's journal: once per receipt id, one unbroken chain."""

from __future__ import annotations

from pathlib import Path

import msgspec
import pytest

from tests.unit.conftest import make_decision, make_event
from vectimus.core.bus.messages import DecisionRecord
from vectimus.core.receipts.chain import verify_chain
from vectimus.core.receipts.keys import Keyring, SigningKey
from vectimus.core.receipts.receipt import ReceiptError, ReceiptSigner, receipt_hash
from vectimus.receipt_signer.handler import sign_decision
from vectimus.receipt_signer.journal import JournalLockedError, SignedJournal


def record(command: str = "ls", **decision: object) -> DecisionRecord:
    return DecisionRecord(
        request_id="req",
        event=make_event(command),
        decision=make_decision(**decision),  # type: ignore[arg-type]
        caller="ci",
        policy_set_hash="abc",
        pack_versions={"base": "1.0"},
    )


def opened(directory: Path, **options: int) -> SignedJournal:
    journal = SignedJournal(directory, **options)
    journal.open()
    return journal


def keyring_for(key: SigningKey) -> Keyring:
    keyring = Keyring()
    keyring.add(key.public_key)
    return keyring


class TestSignDecision:
    def test_a_redelivered_decision_gets_the_same_receipt(
        self, key: SigningKey, tmp_path: Path
    ) -> None:
        journal = opened(tmp_path / "j")
        signer = ReceiptSigner(key, journal)
        decision = record("rm -rf /")
        first = sign_decision(decision, signer, journal)
        again = sign_decision(decision, signer, journal)
        assert first.again is False and again.again is True
        assert again.record.receipt == first.record.receipt
        assert first.record.receipt.receipt_id == decision.decision.receipt_id
        assert first.record.caller == "ci" and first.record.request_id == "req"
        assert journal.heads[key.key_id].receipt_id == decision.decision.receipt_id

    def test_a_receipt_id_reused_for_another_event_is_refused(
        self, key: SigningKey, tmp_path: Path
    ) -> None:
        journal = opened(tmp_path / "j")
        signer = ReceiptSigner(key, journal)
        original = record("ls")
        sign_decision(original, signer, journal)
        other = msgspec.structs.replace(original, event=make_event("whoami"))
        with pytest.raises(ReceiptError, match="different event"):
            sign_decision(other, signer, journal)

    def test_a_decision_without_receipt_id_cannot_be_signed(
        self, key: SigningKey, tmp_path: Path
    ) -> None:
        journal = opened(tmp_path / "j")
        bad = record()
        bad = msgspec.structs.replace(
            bad, decision=msgspec.structs.replace(bad.decision, receipt_id="")
        )
        with pytest.raises(ReceiptError):
            sign_decision(bad, ReceiptSigner(key, journal), journal)


class TestJournal:
    def test_reopening_keeps_the_chain_and_the_index(self, key: SigningKey, tmp_path: Path) -> None:
        journal = opened(tmp_path / "j")
        first = [
            sign_decision(record(f"echo {i}"), ReceiptSigner(key, journal), journal)
            for i in range(3)
        ]
        journal.close()
        reopened = opened(tmp_path / "j")
        assert reopened.get(first[1].record.receipt.receipt_id) == first[1].record.receipt
        later = sign_decision(record("echo 3"), ReceiptSigner(key, reopened), reopened)
        assert later.record.receipt.prev_receipt_hash == receipt_hash(first[-1].record.receipt)
        receipts = [s.record.receipt for s in [*first, later]]
        report = verify_chain(receipts, keyring_for(key))
        assert report.ok, report.problems

    def test_one_signer_per_journal(self, tmp_path: Path) -> None:
        journal = opened(tmp_path / "j")
        with pytest.raises(JournalLockedError, match="another receipt-signer"):
            opened(tmp_path / "j")
        journal.close()
        opened(tmp_path / "j").close()

    def test_a_torn_last_line_is_dropped(self, key: SigningKey, tmp_path: Path) -> None:
        journal = opened(tmp_path / "j")
        signed = sign_decision(record(), ReceiptSigner(key, journal), journal)
        journal.close()
        (path,) = (tmp_path / "j").glob("journal-*.jsonl")
        with path.open("ab") as handle:
            handle.write(b'{"receipt":{"v":1,"recei')
        reopened = opened(tmp_path / "j")
        assert path.read_bytes().endswith(b"\n")
        assert reopened.heads[key.key_id].receipt_id == signed.record.receipt.receipt_id

    def test_rotation_keeps_the_newest_files_and_the_heads(
        self, key: SigningKey, tmp_path: Path
    ) -> None:
        journal = opened(tmp_path / "j", max_file_bytes=2000, keep_files=2)
        signer = ReceiptSigner(key, journal)
        signed = [sign_decision(record(f"echo {i}"), signer, journal) for i in range(20)]
        files = sorted((tmp_path / "j").glob("journal-*.jsonl"))
        assert len(files) == 2
        assert journal.get(signed[0].record.receipt.receipt_id) is None  # rotated away
        assert journal.get(signed[-1].record.receipt.receipt_id) == signed[-1].record.receipt
        journal.close()
        reopened = opened(tmp_path / "j", max_file_bytes=2000, keep_files=2)
        nxt = sign_decision(record("echo next"), ReceiptSigner(key, reopened), reopened)
        assert nxt.record.receipt.prev_receipt_hash == receipt_hash(signed[-1].record.receipt)
        report = verify_chain([s.record.receipt for s in [*signed, nxt]], keyring_for(key))
        assert report.ok, report.problems
