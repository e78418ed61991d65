"""The audit-sink service: signed receipts in (group "audit"), files and events out.

Per batch, under the log directory's sink lock: take in what the log gained since the last
look; append the receipts not yet in the log to the day's receipt segment
(``<receipts dir>/YYYY-MM-DD/receipts.jsonl``, one write); append their redacted audit
records (one write); fsync the log; XADD one event per receipt; acknowledge. A receipt
already in the log (delivered again, or published again by the signer) gets its event again
but never a second record.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

import msgspec

from vectimus.audit_sink.handler import event_record
from vectimus.audit_sink.index import AuditIndex
from vectimus.audit_sink.settings import AuditSinkSettings
from vectimus.core.audit import AuditLog, AuditRecord, AuditSettings
from vectimus.core.audit.redact import compile_patterns
from vectimus.core.bus import Bus, Delivery
from vectimus.core.bus.messages import (
    AUDIT_GROUP,
    EVENTS_STREAM,
    RECEIPTS_STREAM,
    EventRecord,
    ReceiptRecord,
    decode,
    encode,
    maxlen_for,
)
from vectimus.core.bus.worker import Outcome, Worker
from vectimus.core.clock import utc_now_iso
from vectimus.core.logs import get_logger, safe_error
from vectimus.core.receipts.receipt import Receipt
from vectimus.core.receipts.store import ReceiptStore

SERVICE = "audit-sink"
log = get_logger("vectimus.audit_sink").bind(component=SERVICE)


def audit_settings(settings: AuditSinkSettings) -> AuditSettings:
    """The user config's [audit] section, with the sink's directory."""
    from vectimus.core.config import load_config  # noqa: PLC0415 - pydantic config, once

    configured = load_config(None).settings.audit
    if settings.audit_dir is None:
        return configured
    return configured.model_copy(update={"log_dir": settings.audit_dir})


class AuditSinkService:
    name = SERVICE
    stream = RECEIPTS_STREAM
    group = AUDIT_GROUP

    def __init__(self, bus: Bus, audit: AuditLog, store: ReceiptStore, index: AuditIndex) -> None:
        self.bus = bus
        self.audit = audit
        self.store = store
        self.index = index
        self.patterns = compile_patterns(audit.settings.redact_patterns)
        self.recorded = 0
        self.already = 0

    async def handle(self, deliveries: Sequence[Delivery]) -> Outcome:
        outcome = Outcome()
        records: list[tuple[str, ReceiptRecord]] = []
        for delivery in deliveries:
            try:
                records.append((delivery.id, decode(delivery.payload, ReceiptRecord)))
            except (msgspec.DecodeError, msgspec.ValidationError) as exc:
                outcome.dead[delivery.id] = f"undecodable ReceiptRecord: {exc}"
        if not records:
            return outcome
        events = await asyncio.to_thread(self._record_all, records, outcome)
        await self.bus.publish_batch(
            [(EVENTS_STREAM, encode(event), maxlen_for(EVENTS_STREAM)) for event in events]
        )
        return outcome

    def _record_all(
        self, records: list[tuple[str, ReceiptRecord]], outcome: Outcome
    ) -> list[EventRecord]:
        with self.index.locked():
            self.index.refresh()
            self._store_receipts(records, outcome)
            done: list[tuple[str, ReceiptRecord, str]] = []  # entry id, record, recorded at
            written: dict[str, AuditRecord] = {}
            for entry_id, found in records:
                if entry_id in outcome.failed:
                    continue
                receipt_id = found.receipt.receipt_id
                if receipt_id in self.index or receipt_id in written:
                    self.already += 1
                    log.info("receipt already audited: event only", **_ids(found))
                    done.append((entry_id, found, utc_now_iso()))
                    continue
                try:
                    record = self.audit.record(
                        found.event,
                        found.decision,
                        receipt_id=receipt_id,
                        caller=found.caller or found.event.identity.principal,
                        policy_set_hash=found.policy_set_hash,
                    )
                except Exception as exc:
                    log.exception(
                        "audit record failed: will retry", error=safe_error(exc), **_ids(found)
                    )
                    outcome.failed[entry_id] = safe_error(exc)
                    continue
                written[receipt_id] = record
                done.append((entry_id, found, record.recorded_at))
            try:
                self.audit.write_many(list(written.values()))
                self.audit.sync()  # what is acknowledged is on disk
            except Exception as exc:
                log.exception("audit write failed: will retry", error=safe_error(exc))
                for entry_id, _, _ in done:
                    outcome.failed[entry_id] = safe_error(exc)
                return []
            for receipt_id in written:
                self.index.add(receipt_id)
            self.recorded += len(written)
        outcome.done.extend(entry_id for entry_id, _, _ in done)
        return [event_record(found, at, self.patterns) for _, found, at in done]

    def _store_receipts(self, records: list[tuple[str, ReceiptRecord]], outcome: Outcome) -> None:
        """Append the receipts the log does not hold yet to the receipt segments, in one
        write per day. Before their audit records: a crash in between stores them again on
        redelivery, and readers count a line stored twice once."""
        wanted: dict[str, Receipt] = {}
        for _, found in records:
            if found.receipt.receipt_id not in self.index:
                wanted.setdefault(found.receipt.receipt_id, found.receipt)
        if not wanted:
            return
        try:
            self.store.append(list(wanted.values()))
        except Exception as exc:
            log.exception("receipt store failed: will retry", error=safe_error(exc))
            for entry_id, found in records:
                if found.receipt.receipt_id in wanted:
                    outcome.failed[entry_id] = safe_error(exc)

    async def give_up(self, delivery: Delivery, error: str) -> None:
        return None

    def describe(self) -> dict[str, Any]:
        return {"recorded": self.recorded, "already_recorded": self.already}


def _ids(found: ReceiptRecord) -> dict[str, str]:
    """The ids a log line about ``found`` carries (passed per line: binding them around
    every record cost more than the rare line they are for)."""
    return {"request_id": found.request_id, "receipt_id": found.receipt.receipt_id}


def open_sink(bus: Bus, settings: AuditSinkSettings) -> AuditSinkService:
    audit = AuditLog(audit_settings(settings))
    index = AuditIndex(audit.directory)
    with index.locked():
        index.load()
    return AuditSinkService(bus, audit, ReceiptStore(settings.resolved_receipts_dir()), index)


async def run(bus: Bus, settings: AuditSinkSettings, stop: asyncio.Event) -> None:
    """Record receipts from ``bus`` until ``stop`` is set, then drain."""
    service = await asyncio.to_thread(open_sink, bus, settings)
    log.info(
        "recording",
        audit_dir=str(service.audit.directory),
        receipts_dir=str(service.store.root),
        known_receipts=len(service.index),
    )
    try:
        await Worker(bus, service, settings).run(stop)
    finally:
        service.audit.close()
        service.index.close()
