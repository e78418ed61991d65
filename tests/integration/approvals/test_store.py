"""The approval store contract, on both stores: in process, and in a real Redis shared by two
clients (two gateway replicas). Each held call is settled exactly once."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import msgspec
import pytest

from tests.unit.escalation.test_messages import pending
from vectimus.core.bus.redis import RedisBus
from vectimus.gateway.approvals.redis_store import RedisApprovalStore
from vectimus.gateway.approvals.store import ApprovalStore, MemoryApprovalStore, Ruling

Pair = tuple[ApprovalStore, ApprovalStore]  # the holding replica's store, the approving one's


@pytest.fixture(params=["memory", "redis"])
async def stores(request: pytest.FixtureRequest) -> AsyncIterator[Pair]:
    if request.param == "memory":
        shared = MemoryApprovalStore()
        yield shared, shared
        return
    url = request.getfixturevalue("redis_url")
    holder = RedisApprovalStore(RedisBus.from_url(url), poll_s=0.02)
    approver = RedisApprovalStore(RedisBus.from_url(url), poll_s=0.02)
    try:
        yield holder, approver
    finally:
        await holder.bus.close()
        await approver.bus.close()


def allow(by: str = "alice") -> Ruling:
    return Ruling(status="allow", approver=by, approver_key="ops", note="ok", receipt_id=f"r-{by}")


async def test_an_approval_reaches_the_waiting_replica(stores: Pair) -> None:
    holder, approver = stores
    held = pending()
    await holder.open(held)
    waiting = asyncio.create_task(holder.wait(held.receipt_id, 5))
    await asyncio.sleep(0.05)
    resolution = await approver.resolve(held.receipt_id, allow())
    assert resolution.won and resolution.pending == held
    ruling = await waiting
    assert ruling is not None and (ruling.status, ruling.approver) == ("allow", "alice")
    assert ruling.receipt_id == "r-alice" and ruling.decided_ms > 0
    assert await holder.peek(held.receipt_id) == (True, ruling)


async def test_a_call_is_settled_once(stores: Pair) -> None:
    holder, approver = stores
    held = pending()
    await holder.open(held)
    first = await approver.resolve(held.receipt_id, allow("alice"))
    second = await approver.resolve(held.receipt_id, Ruling(status="deny", approver="bob"))
    timeout = await holder.resolve(held.receipt_id, Ruling(status="timeout", receipt_id="r-t"))
    assert first.outcome == "resolved"
    assert second.outcome == timeout.outcome == "decided"
    assert second.ruling == first.ruling and second.pending is None


async def test_racing_settlements_have_one_winner(stores: Pair) -> None:
    holder, approver = stores
    held = pending()
    await holder.open(held)
    wanted = [allow(f"a{i}") for i in range(10)] + [Ruling(status="timeout", receipt_id="t")]
    results = await asyncio.gather(
        *(
            (holder if i % 2 else approver).resolve(held.receipt_id, ruling)
            for i, ruling in enumerate(wanted)
        )
    )
    assert sum(r.won for r in results) == 1
    assert len({r.ruling.receipt_id for r in results if r.ruling}) == 1


async def test_a_late_approval_changes_nothing_and_records_the_timeout(stores: Pair) -> None:
    holder, approver = stores
    held = msgspec.structs.replace(pending(), timeout_s=0.2)
    await holder.open(held)
    assert await holder.wait(held.receipt_id, 0.05) is None  # still pending
    await asyncio.sleep(0.3)
    late = await approver.resolve(held.receipt_id, allow())
    assert late.outcome == "expired" and late.won  # the holder died: this call records it
    assert late.ruling is not None and late.ruling.status == "timeout"
    again = await approver.resolve(held.receipt_id, allow("bob"))
    assert again.outcome == "decided" and again.ruling == late.ruling


async def test_unknown_ids(stores: Pair) -> None:
    holder, _ = stores
    assert (await holder.resolve("nope", allow())).outcome == "unknown"
    assert await holder.peek("nope") == (False, None)
    assert await holder.wait("nope", 0.05) is None
