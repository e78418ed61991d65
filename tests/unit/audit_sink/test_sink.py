"""The audit sink: redacted events, the receipt-id index, one record per receipt id."""

from __future__ import annotations

from pathlib import Path

import msgspec
import pytest

from tests.unit.conftest import make_decision, make_event
from vectimus.audit_sink.handler import SUMMARY_CAP, event_record
from vectimus.audit_sink.index import AuditIndex
from vectimus.audit_sink.main import open_sink
from vectimus.audit_sink.settings import AuditSinkSettings
from vectimus.core.audit import AuditLog, AuditSettings
from vectimus.core.audit.reader import query
from vectimus.core.audit.redact import DEFAULT_PATTERNS
from vectimus.core.bus import Delivery
from vectimus.core.bus.memory import MemoryBus
from vectimus.core.bus.messages import EVENTS_STREAM, EventRecord, ReceiptRecord, decode, encode
from vectimus.core.receipts.keys import SigningKey
from vectimus.core.receipts.receipt import MemoryHeadStore, ReceiptSigner
from vectimus.core.receipts.store import SEGMENT_FILE, ReceiptStore, iter_receipts

SECRET = "AKIAIOSFODNN7EXAMPLE"


def receipt_record(key: SigningKey, command: str = "ls") -> ReceiptRecord:
    event, decision = make_event(command), make_decision()
    receipt = ReceiptSigner(key, MemoryHeadStore()).sign(
        event, decision, policy_set_hash="h", pack_versions={}, source="claude-code", principal="p"
    )
    return ReceiptRecord(
        request_id="r", receipt=receipt, event=event, decision=decision, caller="ci"
    )


def batch(key: SigningKey, count: int) -> tuple[list[ReceiptRecord], list[Delivery]]:
    """``count`` receipts of distinct commands, delivered as entries 0-0, 1-0, ..."""
    found = [receipt_record(key, f"echo {i}") for i in range(count)]
    return found, [Delivery(f"{i}-0", encode(r)) for i, r in enumerate(found)]


class TestEventRecord:
    def test_the_summary_is_redacted_and_capped(self, key: SigningKey) -> None:
        found = event_record(
            receipt_record(key, f"aws s3 ls --key {SECRET}"), "t", DEFAULT_PATTERNS
        )
        assert SECRET not in found.summary
        assert "[REDACTED" in found.summary
        assert (found.caller, found.source, found.decision) == ("ci", "claude-code", "deny")
        long = event_record(receipt_record(key, "echo " + "x" * 500), "t", DEFAULT_PATTERNS)
        assert len(long.summary) == SUMMARY_CAP


class TestAuditIndex:
    def test_it_follows_the_log_across_rotations(self, key: SigningKey, tmp_path: Path) -> None:
        log = AuditLog(AuditSettings(log_dir=tmp_path, max_file_size_mb=0.002))
        index = AuditIndex(tmp_path)
        index.load()
        ids = []
        for i in range(12):
            event, decision = make_event(f"echo {i}"), make_decision()
            log.write(log.record(event, decision, receipt_id=decision.receipt_id, caller="c"))
            ids.append(decision.receipt_id)
            if i % 5 == 0:
                index.refresh()
        index.refresh()
        assert all(i in index for i in ids)
        assert len(list(tmp_path.glob("audit-*.jsonl"))) >= 2  # it did rotate
        fresh = AuditIndex(tmp_path)
        fresh.load()  # the newest rotated file and the active one
        assert ids[-1] in fresh
        log.close()


@pytest.fixture
def settings(tmp_path: Path) -> AuditSinkSettings:
    return AuditSinkSettings(audit_dir=tmp_path / "audit", receipts_dir=tmp_path / "receipts")


class TestSinkService:
    async def test_a_receipt_delivered_twice_is_recorded_once(
        self, key: SigningKey, tmp_path: Path, settings: AuditSinkSettings
    ) -> None:
        bus = MemoryBus()
        sink = open_sink(bus, settings)
        found = receipt_record(key, f"export KEY={SECRET}")
        payload = encode(found)
        first = await sink.handle([Delivery("1-0", payload)])
        second = await sink.handle([Delivery("1-0", payload, 2), Delivery("2-0", payload)])
        assert first.done == ["1-0"] and second.done == ["1-0", "2-0"]
        sink.audit.close()
        records = list(query(tmp_path / "audit"))
        assert [r.receipt_id for r in records] == [found.receipt.receipt_id]
        assert records[0].caller == "ci"
        stored = list(iter_receipts(tmp_path / "receipts"))
        assert stored == [found.receipt]  # once, in the day's segment
        [segment] = (tmp_path / "receipts").rglob("*.json*")
        assert segment.name == SEGMENT_FILE
        events = (await bus.read({EVENTS_STREAM: "0"}))[EVENTS_STREAM]
        assert len(events) == 3  # events are at least once: dashboards key them by receipt id
        first_event = decode(events[0].payload, EventRecord)
        assert SECRET not in first_event.summary
        assert first_event.recorded_at == records[0].recorded_at  # one clock reading

    async def test_a_batch_is_recorded_in_order_and_a_repeat_within_it_once(
        self, key: SigningKey, tmp_path: Path, settings: AuditSinkSettings
    ) -> None:
        bus = MemoryBus()
        sink = open_sink(bus, settings)
        found, deliveries = batch(key, 5)
        deliveries.append(Delivery("9-0", encode(found[2])))  # published again by the signer
        outcome = await sink.handle(deliveries)
        sink.audit.close()
        assert outcome.done == ["0-0", "1-0", "2-0", "3-0", "4-0", "9-0"]
        ids = [r.receipt.receipt_id for r in found]
        assert [r.receipt_id for r in query(tmp_path / "audit")] == ids
        assert sink.recorded == 5 and sink.already == 1
        events = (await bus.read({EVENTS_STREAM: "0"}))[EVENTS_STREAM]
        assert [decode(e.payload, EventRecord).receipt_id for e in events] == [*ids, ids[2]]

    async def test_an_audit_log_that_fails_leaves_the_batch_pending(
        self, key: SigningKey, tmp_path: Path, settings: AuditSinkSettings
    ) -> None:
        bus = MemoryBus()
        sink = open_sink(bus, settings)
        found, deliveries = batch(key, 3)
        lock = tmp_path / "audit" / ".audit.lock"
        lock.mkdir()  # the writers' lock cannot be opened: no record can be written
        outcome = await sink.handle(deliveries)
        assert sorted(outcome.failed) == ["0-0", "1-0", "2-0"] and outcome.done == []
        assert "cannot write audit log" in outcome.failed["0-0"]
        assert EVENTS_STREAM not in await bus.read({EVENTS_STREAM: "0"})
        assert all(r.receipt.receipt_id not in sink.index for r in found)
        lock.rmdir()
        again = await sink.handle([Delivery(d.id, d.payload, 2) for d in deliveries])
        sink.audit.close()
        assert again.done == ["0-0", "1-0", "2-0"]
        assert len(list(query(tmp_path / "audit"))) == 3

    async def test_a_restarted_sink_knows_what_the_log_holds(
        self, key: SigningKey, tmp_path: Path, settings: AuditSinkSettings
    ) -> None:
        found = receipt_record(key)
        sink = open_sink(MemoryBus(), settings)
        await sink.handle([Delivery("1-0", encode(found))])
        sink.audit.close()  # crash after the append, before the ack: the entry comes again
        restarted = open_sink(MemoryBus(), settings)
        await restarted.handle([Delivery("1-0", encode(found), 2)])
        restarted.audit.close()
        assert len(list(query(tmp_path / "audit"))) == 1

    async def test_a_crash_between_the_receipt_and_its_record_stores_it_once(
        self, key: SigningKey, tmp_path: Path, settings: AuditSinkSettings
    ) -> None:
        found = receipt_record(key)
        ReceiptStore(tmp_path / "receipts").append([found.receipt])  # then the sink died
        sink = open_sink(MemoryBus(), settings)
        outcome = await sink.handle([Delivery("1-0", encode(found), 2)])
        sink.audit.close()
        assert outcome.done == ["1-0"]
        assert list(iter_receipts(tmp_path / "receipts")) == [found.receipt]
        assert len(list(query(tmp_path / "audit"))) == 1

    async def test_a_receipt_store_that_fails_leaves_the_batch_pending(
        self, key: SigningKey, tmp_path: Path, settings: AuditSinkSettings
    ) -> None:
        receipts = tmp_path / "receipts"
        receipts.write_text("a file where the directory should be")
        bus = MemoryBus()
        sink = open_sink(bus, settings)
        found = receipt_record(key)
        outcome = await sink.handle([Delivery("1-0", encode(found))])
        assert list(outcome.failed) == ["1-0"] and outcome.done == []
        assert list(query(tmp_path / "audit")) == []  # no record without its receipt
        assert EVENTS_STREAM not in await bus.read({EVENTS_STREAM: "0"})
        receipts.unlink()
        outcome = await sink.handle([Delivery("1-0", encode(found), 2)])
        sink.audit.close()
        assert outcome.done == ["1-0"]
        assert list(iter_receipts(receipts)) == [found.receipt]
        assert len(list(query(tmp_path / "audit"))) == 1

    async def test_an_undecodable_receipt_is_dead(self, settings: AuditSinkSettings) -> None:
        sink = open_sink(MemoryBus(), settings)
        outcome = await sink.handle([Delivery("1-0", msgspec.msgpack.encode({"v": 1}))])
        assert list(outcome.dead) == ["1-0"] and outcome.done == []
