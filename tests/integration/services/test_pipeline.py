"""The three services end to end, on each transport: request in, reply, receipt, audit, event."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.integration.services.harness import (
    Replies,
    Services,
    alive,
    bash,
    eval_request,
    events,
    send,
    until,
)
from vectimus.core.bus import Bus
from vectimus.core.bus.messages import (
    DEAD_STREAM,
    DECISIONS_STREAM,
    EVAL_STREAM,
    RECEIPTS_STREAM,
    DeadLetter,
    ReceiptRecord,
    decode,
    encode,
)
from vectimus.core.receipts.keys import Keyring, load_or_create_signing_key
from vectimus.core.receipts.store import iter_receipts
from vectimus.evaluator.handler import answer
from vectimus.evaluator.main import evaluation_of, load_runtime
from vectimus.evaluator.settings import EvaluatorSettings

pytestmark = pytest.mark.timeout(30)


def keyring() -> Keyring:
    ring = Keyring()
    ring.add(load_or_create_signing_key().public_key)
    return ring


async def test_requests_are_answered_signed_audited_and_streamed(
    bus: Bus, services: Services, replies: Replies
) -> None:
    services.start()
    commands = ["terraform destroy", "ls -la", "rm -rf /", "git status"] * 5
    requests = [eval_request(bash(c)) for c in commands] + [eval_request(b"{broken")]
    ids = await send(bus, requests)
    await until(lambda: replies.answered(ids), 10, "every reply")
    got = [replies.by_request[i][0].decision.decision for i in ids]
    assert got == ["deny", "allow", "deny", "allow"] * 5 + ["deny"]
    assert "not valid JSON" in replies.by_request[ids[-1]][0].decision.reason

    await until(lambda: len(services.audit_records()) == len(ids), 10, "every audit record")
    records = services.audit_records()
    receipt_ids = {replies.by_request[i][0].decision.receipt_id for i in ids}
    assert {r.receipt_id for r in records} == receipt_ids
    assert {r.caller for r in records} == {"ci"}
    assert not services.chain_ok(keyring())
    assert len(list(iter_receipts(services.receipts_dir))) == len(ids)

    async def all_events() -> bool:
        return len(await events(bus)) == len(ids)

    await until(all_events, 10, "every event")
    assert {e.receipt_id for e in await events(bus)} == receipt_ids
    for service in ("evaluator", "receipt-signer", "audit-sink"):
        assert await alive(bus, service), service
    assert await bus.length(EVAL_STREAM) == 0  # acknowledged work is deleted
    assert await bus.length(DECISIONS_STREAM) == 0
    await services.close()
    assert not await alive(bus, "evaluator")  # a stopped worker takes its heartbeat away


async def test_a_decision_and_a_receipt_delivered_twice_are_recorded_once(
    bus: Bus, services: Services, tmp_path: Path
) -> None:
    services.start(evaluator=False)
    evaluation = evaluation_of(load_runtime(EvaluatorSettings()), "ev")
    decision = answer(eval_request(bash("rm -rf /tmp/x")), "1767225600000-0", evaluation).record
    # An evaluator that died before its XACK: the request comes again, the same decision
    # (same receipt id) is published twice.
    await bus.publish_many(DECISIONS_STREAM, [encode(decision), encode(decision)])

    async def two_events() -> bool:
        return len(await events(bus)) == 2

    await until(two_events, 10, "an event per delivery")
    [receipt] = iter_receipts(services.receipts_dir)
    # A signer that died before its XACK: the same receipt is published again.
    again = ReceiptRecord(
        request_id=decision.request_id,
        receipt=receipt,
        event=decision.event,
        decision=decision.decision,
        caller=decision.caller,
    )
    await bus.publish(RECEIPTS_STREAM, encode(again))

    async def three_events() -> bool:
        return len(await events(bus)) == 3

    await until(three_events, 10, "the third event")
    records = services.audit_records()
    assert [r.receipt_id for r in records] == [decision.decision.receipt_id]
    assert len(list(iter_receipts(services.receipts_dir))) == 1
    assert not services.chain_ok(keyring())


async def test_bad_messages_are_dead_lettered_and_work_goes_on(
    bus: Bus, services: Services, replies: Replies
) -> None:
    services.start()
    await bus.publish(EVAL_STREAM, b"\xc1 not msgpack")
    await bus.publish(DECISIONS_STREAM, encode({"v": 1, "nonsense": True}))
    ids = await send(bus, [eval_request(bash("ls"))])
    await until(lambda: replies.answered(ids), 10, "the reply after the bad entries")

    async def two_letters() -> bool:
        return len((await bus.read({DEAD_STREAM: "0"})).get(DEAD_STREAM, [])) == 2

    await until(two_letters, 10, "two dead letters")
    letters = [
        decode(d.payload, DeadLetter) for d in (await bus.read({DEAD_STREAM: "0"}))[DEAD_STREAM]
    ]
    assert {(x.service, x.deliveries) for x in letters} == {("evaluator", 1), ("receipt-signer", 1)}
    assert all("undecodable" in x.error for x in letters)


async def test_a_request_that_keeps_failing_is_denied_then_dead_lettered(
    bus: Bus, services: Services, replies: Replies, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def broken(*_args: object) -> AsyncIterator[object]:
        raise RuntimeError("evaluator bug")
        yield  # an async generator, like the one it replaces

    monkeypatch.setattr("vectimus.evaluator.main.answers_of", broken)
    services.start()
    ids = await send(bus, [eval_request(bash("ls"))])
    await until(lambda: replies.answered(ids), 15, "a deny after the last delivery")
    decision = replies.by_request[ids[0]][0].decision
    assert decision.decision == "deny"
    assert "RuntimeError: evaluator bug" in decision.reason

    async def dead() -> bool:
        return bool((await bus.read({DEAD_STREAM: "0"})).get(DEAD_STREAM))

    await until(dead, 10, "the dead letter")
    (letter,) = [
        decode(d.payload, DeadLetter) for d in (await bus.read({DEAD_STREAM: "0"}))[DEAD_STREAM]
    ]
    assert letter.deliveries == 4 and "gave up after 3 deliveries" in letter.error
    await until(lambda: len(services.audit_records()) == 1, 10, "the deny's audit record")
    assert services.audit_records()[0].decision.decision == "deny"
