"""Holding an escalated call for a human, and settling it: approve, deny, or time out.

``[escalation] mode = "approval"``: the gateway keeps the request open, stores the pending
call (so any replica can take the approval), tells the approvers, and waits up to
``timeout_seconds``. The answer is then the approver's allow or deny, or a deny when nobody
decided in time, could be reached, or the store failed: an escalation is never let through
without a person saying so.

Whoever settles a call (the approving replica, or the holding one at the timeout) records
it: a DecisionRecord of its own, with a new receipt id and ``escalation_of`` pointing at the
escalated receipt, goes to the signer and the audit sink like any decision.
"""

from __future__ import annotations

import asyncio
import functools
import time

import msgspec
import structlog

from vectimus.core.audit.redact import SecretPattern, compile_patterns
from vectimus.core.bus import Bus
from vectimus.core.bus.messages import DECISIONS_STREAM, DecisionRecord, encode, maxlen_for
from vectimus.core.errors import VectimusError
from vectimus.core.escalation import EscalationSettings
from vectimus.core.events import Decision, Event, Identity
from vectimus.core.jsondecode import DECODE_ERRORS
from vectimus.core.normalise import normalise
from vectimus.core.receipts.ids import new_receipt_id
from vectimus.core.record import unparsed_event
from vectimus.evaluator.handler import enrich, split_enrichment, string_facts
from vectimus.gateway.approvals.notify import Notifier
from vectimus.gateway.approvals.store import (
    TIMEOUT,
    ApprovalStore,
    PendingApproval,
    Resolution,
    Ruling,
    now_ms,
)
from vectimus.gateway.outbox import TrailOutbox
from vectimus.gateway.policies import PolicyState

log = structlog.get_logger("vectimus.gateway.approvals")

_FACT_CAP = 1024
_CLOSE_S = 5.0
_PUBLISH_S = 2.0


@functools.lru_cache(maxsize=8)
def patterns_of(custom: tuple[str, ...]) -> tuple[SecretPattern, ...]:
    """The audit log's redaction patterns (built-in and ``[audit] redact_patterns``)."""
    return compile_patterns(custom)


def event_of(source: str, payload: bytes, enrichment: dict[str, str]) -> Event:
    """The event an evaluator made of this payload (the same functions), for the record."""
    try:
        raw, embedded = split_enrichment(msgspec.json.decode(payload))
        return enrich(normalise(source, raw), {**embedded, **string_facts(enrichment)})
    except (*DECODE_ERRORS, VectimusError):
        identity = Identity(principal=enrichment.get("principal", "unknown")[:_FACT_CAP])
        return unparsed_event(source, payload, identity)


def ruled(pending: PendingApproval, ruling: Ruling) -> Decision:
    """The decision that settles ``pending``: allow only when an approver allowed it."""
    escalated = pending.decision
    note = f": {ruling.note}" if ruling.note else ""
    tail = f"(escalation {pending.receipt_id}). Receipt: {ruling.receipt_id}"
    if ruling.status == "allow":
        reason = f"Approved by {ruling.approver} (key {ruling.approver_key}){note} {tail}"
    elif ruling.status == "deny":
        who = f"{ruling.approver} (key {ruling.approver_key})"
        reason = f"Vectimus denied this call: {who} refused the escalation{note} {tail}"
    elif ruling.note:
        reason = f"Vectimus denied this call: it needed a human's approval and {ruling.note} {tail}"
    else:
        reason = (
            f"Vectimus denied this call: no approver decided within {pending.timeout_s:g} s, "
            f"and an escalation nobody approves is denied {tail}"
        )
    allowed = ruling.status == "allow"
    return Decision(
        decision="allow" if allowed else "deny",
        reason=reason,
        action_type=escalated.action_type,
        suggested_alternative="" if allowed else escalated.suggested_alternative,
        matched_policy_ids=escalated.matched_policy_ids,
        receipt_id=ruling.receipt_id,
        evaluation_time_ms=escalated.evaluation_time_ms,
        escalation_of=pending.receipt_id,
    )


class Escalations:
    """The approval workflow of one gateway worker."""

    def __init__(
        self,
        *,
        settings: EscalationSettings,
        store: ApprovalStore,
        notifier: Notifier,
        bus: Bus,
        outbox: TrailOutbox,
        policies: PolicyState,
    ) -> None:
        self.settings = settings
        self.store = store
        self.notifier = notifier
        self.bus = bus
        self.outbox = outbox
        self.policies = policies
        self._tasks: set[asyncio.Task[None]] = set()

    @property
    def holds(self) -> bool:
        return self.settings.mode == "approval"

    async def hold(
        self,
        decision: Decision,
        *,
        request_id: str,
        source: str,
        payload: bytes,
        enrichment: dict[str, str],
        caller: str,
    ) -> Decision:
        """Hold an escalated call until it is settled; the settling decision is the answer."""
        runtime = self.policies.runtime
        compiled = runtime.snapshot.compiled if runtime is not None else None
        pending = PendingApproval(
            receipt_id=decision.receipt_id,
            request_id=request_id,
            caller=caller,
            event=event_of(source, payload, enrichment),
            decision=decision,
            policy_set_hash=compiled.policy_set_hash if compiled is not None else "",
            pack_versions=dict(compiled.packs) if compiled is not None else {},
            timeout_s=self.settings.timeout_seconds,
        )
        started = time.monotonic()
        try:
            await self.store.open(pending)
        except Exception as exc:  # noqa: BLE001 - no store, no approval: a deny that says so
            log.error(
                "could not hold an escalation", receipt_id=pending.receipt_id, error=repr(exc)
            )
            failed = Ruling(
                status=TIMEOUT,
                note=f"the approval store is unavailable ({type(exc).__name__})",
                receipt_id=new_receipt_id(),
            )
            await self._record(pending, failed)
            return ruled(pending, failed)
        log.info("escalation held for approval", receipt_id=pending.receipt_id)
        redact = runtime.snapshot.audit.get("redact_patterns", ()) if runtime is not None else ()
        problems = await self.notifier.escalated(pending, now_ms(), patterns_of(tuple(redact)))
        if len(problems) == len(self.settings.approvers):
            why = "no approver could be notified (" + "; ".join(problems) + ")"
            return await self._settle_here(pending, Ruling(status=TIMEOUT, note=why))
        remaining = self.settings.timeout_seconds - (time.monotonic() - started)
        found: Ruling | None = None
        try:
            found = await self.store.wait(pending.receipt_id, max(0.0, remaining))
        except Exception as exc:  # noqa: BLE001 - the wait failed: settle it as unanswered
            log.error("lost a held escalation", receipt_id=pending.receipt_id, error=repr(exc))
        if found is not None:
            return ruled(pending, found)
        return await self._settle_here(pending, Ruling(status=TIMEOUT))

    async def settle(self, receipt_id: str, wanted: Ruling) -> Resolution:
        """Decide a held call (an approver's allow or deny); the winner records it."""
        resolution = await self.store.resolve(receipt_id, wanted)
        if resolution.won and resolution.pending is not None and resolution.ruling is not None:
            await self._record(resolution.pending, resolution.ruling)
        return resolution

    async def _settle_here(self, pending: PendingApproval, wanted: Ruling) -> Decision:
        """Settle as a deny from this replica; an approval that got there first still wins."""
        wanted = msgspec.structs.replace(wanted, receipt_id=new_receipt_id())
        try:
            resolution = await self.settle(pending.receipt_id, wanted)
        except Exception as exc:  # noqa: BLE001 - the store is gone: deny, and record it here
            log.error(
                "could not settle an escalation", receipt_id=pending.receipt_id, error=repr(exc)
            )
            resolution = Resolution(outcome="unknown")
        if resolution.ruling is None:  # the store lost the call: this replica records it
            await self._record(pending, wanted)
            return ruled(pending, wanted)
        return ruled(pending, resolution.ruling)

    async def _record(self, pending: PendingApproval, ruling: Ruling) -> None:
        """Send the settling decision to be signed and audited, and close the notifications.
        A bus that does not take it leaves it in the outbox, published once the bus is back."""
        decision = ruled(pending, ruling)
        record = DecisionRecord(
            request_id=pending.request_id,
            event=pending.event,
            decision=decision,
            caller=ruling.approver_key or pending.caller,
            policy_set_hash=pending.policy_set_hash,
            pack_versions=dict(pending.pack_versions),
        )
        payload = encode(record)
        try:
            async with asyncio.timeout(_PUBLISH_S):
                await self.bus.publish(
                    DECISIONS_STREAM, payload, maxlen=maxlen_for(DECISIONS_STREAM)
                )
        except Exception as exc:  # noqa: BLE001 - the settlement stands; its trail waits
            log.warning(
                "a settlement waits for the bus", receipt_id=decision.receipt_id, error=repr(exc)
            )
            self.outbox.put(decision.receipt_id, payload)
        log.info(
            "escalation settled",
            receipt_id=decision.receipt_id,
            escalation_of=pending.receipt_id,
            decision=decision.decision,
            status=ruling.status,
            approver=ruling.approver,
        )
        task = asyncio.create_task(self.notifier.decided(pending))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def close(self) -> None:
        if self._tasks:
            await asyncio.wait(self._tasks, timeout=_CLOSE_S)
        await self.store.close()
