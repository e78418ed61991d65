"""Signing one decision: a function of the decision, the signer and its journal.

A decision whose receipt id the journal already holds (delivered again after a crash, or
published twice by an evaluator that died before acknowledging) is not signed again: the
receipt signed the first time is published again, and the audit sink, idempotent by
receipt id, keeps one record.
"""

from __future__ import annotations

from typing import NamedTuple

from vectimus.core.bus.messages import DecisionRecord, ReceiptRecord
from vectimus.core.receipts.receipt import Receipt, ReceiptError, ReceiptSigner, event_hash
from vectimus.receipt_signer.journal import SignedJournal


class Signed(NamedTuple):
    record: ReceiptRecord
    again: bool
    """True when the receipt had been signed before (published again, not re-signed)."""


def receipt_record(record: DecisionRecord, receipt: Receipt) -> ReceiptRecord:
    return ReceiptRecord(
        request_id=record.request_id,
        receipt=receipt,
        event=record.event,
        decision=record.decision,
        caller=record.caller,
        policy_set_hash=record.policy_set_hash,
        degraded=record.degraded,
    )


def sign_decision(record: DecisionRecord, signer: ReceiptSigner, journal: SignedJournal) -> Signed:
    """The signed receipt of ``record``: signed now, or found in the journal.

    Raises ReceiptError when the decision cannot be signed (no receipt id, an unsafe one, a
    non-finite time), or when its receipt id was signed before for a different event."""
    receipt_id = record.decision.receipt_id
    earlier = journal.get(receipt_id) if receipt_id else None
    if earlier is not None:
        if earlier.event_hash != event_hash(record.event):
            raise ReceiptError(f"receipt {receipt_id} was already signed for a different event")
        return Signed(receipt_record(record, earlier), again=True)
    receipt = signer.sign(
        record.event,
        record.decision,
        policy_set_hash=record.policy_set_hash,
        pack_versions=dict(record.pack_versions),
        source=record.event.source.tool,
        principal=record.event.identity.principal,
    )
    return Signed(receipt_record(record, receipt), again=False)
