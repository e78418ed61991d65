"""The receipt-signer service: decisions in (group "signers"), signed receipts out.

Per batch: decode the decisions, sign them in a worker thread (Ed25519 and canonical JSON,
each receipt recorded in the journal as it is chained), fsync the journal, XADD the
receipts in one round trip, then acknowledge. A decision that can never be signed (no
receipt id, or one already used for another event) is dead-lettered.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

import msgspec

from vectimus.core.bus import Bus, Delivery
from vectimus.core.bus.messages import (
    DECISIONS_STREAM,
    RECEIPTS_STREAM,
    SIGNER_GROUP,
    DecisionRecord,
    decode,
    encode,
    maxlen_for,
)
from vectimus.core.bus.worker import Outcome, Worker
from vectimus.core.logs import get_logger, safe_error
from vectimus.core.receipts.keys import SigningKey, load_or_create_signing_key, load_signing_key
from vectimus.core.receipts.receipt import ReceiptError, ReceiptSigner
from vectimus.receipt_signer.handler import Signed, sign_decision
from vectimus.receipt_signer.journal import JournalError, JournalLockedError, SignedJournal
from vectimus.receipt_signer.settings import ReceiptSignerSettings

SERVICE = "receipt-signer"
log = get_logger("vectimus.receipt_signer").bind(component=SERVICE)
_LOCK_RETRY_MAX_S = 5.0


def load_key(settings: ReceiptSignerSettings) -> SigningKey:
    if settings.key_file is not None:
        return load_signing_key(settings.key_file)
    return load_or_create_signing_key()


class ReceiptSignerService:
    name = SERVICE
    stream = DECISIONS_STREAM
    group = SIGNER_GROUP

    def __init__(self, bus: Bus, signer: ReceiptSigner, journal: SignedJournal) -> None:
        self.bus = bus
        self.signer = signer
        self.journal = journal
        self.signed = 0
        self.published_again = 0

    async def handle(self, deliveries: Sequence[Delivery]) -> Outcome:
        outcome = Outcome()
        records: list[tuple[str, DecisionRecord]] = []
        for delivery in deliveries:
            try:
                records.append((delivery.id, decode(delivery.payload, DecisionRecord)))
            except (msgspec.DecodeError, msgspec.ValidationError) as exc:
                outcome.dead[delivery.id] = f"undecodable DecisionRecord: {exc}"
        if not records:
            return outcome
        results = await asyncio.to_thread(self._sign_all, records)
        items: list[tuple[str, bytes, int | None]] = []
        for entry_id, found in results:
            if isinstance(found, str):
                outcome.dead[entry_id] = found
                continue
            items.append((RECEIPTS_STREAM, encode(found.record), maxlen_for(RECEIPTS_STREAM)))
            outcome.done.append(entry_id)
        await self.bus.publish_batch(items)
        return outcome

    def _sign_all(
        self, records: list[tuple[str, DecisionRecord]]
    ) -> list[tuple[str, Signed | str]]:
        results: list[tuple[str, Signed | str]] = []
        for entry_id, record in records:
            try:
                signed = sign_decision(record, self.signer, self.journal)
            except JournalError:
                raise  # nothing signed: the batch stays pending and is retried
            except ReceiptError as exc:
                log.error("cannot sign decision", error=safe_error(exc), **_ids(record))
                results.append((entry_id, f"cannot sign: {exc}"))
                continue
            if signed.again:
                self.published_again += 1
                log.info("decision already signed: publishing its receipt again", **_ids(record))
            else:
                self.signed += 1
            results.append((entry_id, signed))
        self.journal.sync()  # nothing is published that a crash could make us sign twice
        return results

    async def give_up(self, delivery: Delivery, error: str) -> None:
        return None

    def describe(self) -> dict[str, Any]:
        return {
            "key_id": self.signer.key_id,
            "signed": self.signed,
            "published_again": self.published_again,
        }


def _ids(record: DecisionRecord) -> dict[str, str]:
    """The ids a log line about ``record`` carries (passed per line: binding them around
    every record cost more than the rare line they are for)."""
    return {"request_id": record.request_id, "receipt_id": record.decision.receipt_id}


async def open_journal(
    settings: ReceiptSignerSettings, stop: asyncio.Event
) -> SignedJournal | None:
    """The journal, once no other signer holds it (waiting with backoff); None if stopped."""
    backoff = 0.2
    while True:
        journal = SignedJournal(
            settings.resolved_journal_dir(),
            max_file_bytes=int(settings.journal_file_mb * 1024 * 1024),
            keep_files=settings.journal_files,
        )
        try:
            await asyncio.to_thread(journal.open)
            return journal
        except JournalLockedError as exc:
            log.warning("waiting for the signer journal", error=str(exc), retry_in_s=backoff)
        try:
            await asyncio.wait_for(stop.wait(), backoff)
            return None
        except TimeoutError:
            backoff = min(backoff * 2, _LOCK_RETRY_MAX_S)


async def run(bus: Bus, settings: ReceiptSignerSettings, stop: asyncio.Event) -> None:
    """Sign decisions from ``bus`` until ``stop`` is set, then drain."""
    key = await asyncio.to_thread(load_key, settings)
    journal = await open_journal(settings, stop)
    if journal is None:
        return
    try:
        service = ReceiptSignerService(bus, ReceiptSigner(key, journal), journal)
        log.info("signing", key_id=key.key_id, journal=str(journal.directory))
        await Worker(bus, service, settings).run(stop)
    finally:
        journal.close()
