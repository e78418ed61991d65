"""One request's way to a decision: through an evaluator, else in-process, never unevaluated.

1. Publish an EvalRequest (batched per loop tick) and wait for the reply, up to the deadline.
2. No evaluator alive, no reply in time, or the bus refused the request: evaluate here with
   the same pipeline code (degraded), and publish the DecisionRecord so the trail (receipt,
   audit record, event) still happens.
3. Nothing could evaluate it: a refusal, which the route turns into a deny (200 for a
   hook-shaped request, 503 otherwise). An allow is only ever the result of an evaluation.
   A refusal leaves a trail too: its DecisionRecord (the raw payload standing as the event,
   as the evaluator does for a payload it cannot parse) goes to the signer and the sink.
   A record the bus cannot take (Redis down or stalled) waits in the outbox and is published
   when the bus is back; the answer says its trail is late.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import msgspec
import structlog

from vectimus.core.bus import Bus
from vectimus.core.bus.messages import (
    DECISIONS_STREAM,
    DecisionRecord,
    EvalReply,
    EvalRequest,
    encode,
    maxlen_for,
)
from vectimus.core.events import Decision, Event, Identity
from vectimus.core.receipts.ids import new_receipt_id
from vectimus.core.record import unparsed_event
from vectimus.core.runtime import Runtime
from vectimus.gateway.ids import new_request_id
from vectimus.gateway.monitor import Monitor
from vectimus.gateway.outbox import TrailOutbox
from vectimus.gateway.policies import PolicyState
from vectimus.gateway.replies import BusUnavailableError, ReplyRouter, RequestPublisher

log = structlog.get_logger("vectimus.gateway.decide")

# (runtime, request) -> (the event evaluated, its decision): the evaluator service's own code.
LocalEvaluate = Callable[[Runtime, EvalRequest], Awaitable[tuple[Event, Decision]]]

_TRAIL_TIMEOUT_S = 2.0
_FACT_CAP = 1024


@dataclass(frozen=True)
class Outcome:
    decision: Decision
    path: str  # "evaluator" | "degraded" | "refused"
    failure: str = ""  # why nothing could evaluate it (path == "refused")
    policy_set_hash: str = ""  # the one policy set that decided ("" when none did)

    @property
    def degraded(self) -> bool:
        return self.path != "evaluator"


def refusal(message: str) -> Decision:
    """A deny for a call nothing could evaluate; it names the problem and has a receipt id."""
    receipt_id = new_receipt_id()
    return Decision(
        decision="deny",
        reason=f"Vectimus denied this call because it could not be evaluated: {message}. "
        f"Receipt: {receipt_id}",
        action_type="shell_command",
        receipt_id=receipt_id,
    )


def _expire(future: asyncio.Future[EvalReply]) -> None:
    if not future.done():
        future.set_exception(TimeoutError())


class Decider:
    def __init__(
        self,
        *,
        bus: Bus,
        policies: PolicyState,
        router: ReplyRouter,
        publisher: RequestPublisher,
        monitor: Monitor,
        outbox: TrailOutbox,
        local: LocalEvaluate,
        deadline_ms: int,
        fallback: bool,
    ) -> None:
        self.bus = bus
        self.outbox = outbox
        self.policies = policies
        self.router = router
        self.publisher = publisher
        self.monitor = monitor
        self.local = local
        self.deadline_s = deadline_ms / 1000
        self.deadline_ms = deadline_ms
        self.fallback = fallback

    async def decide(
        self,
        *,
        request_id: str,
        source: str,
        payload: bytes,
        enrichment: dict[str, str],
        caller: str,
    ) -> Outcome:
        if self.router.waiting_for(request_id):
            # Replies are matched by request id: a caller's X-Request-ID reused while the
            # first request waits must not take the first one's answer.
            request_id = f"{request_id[:32]}.{new_request_id()}"
        request = EvalRequest(
            request_id=request_id,
            reply_to=self.router.stream,
            source=source,
            payload=payload,
            caller=caller,
            enrichment=enrichment,
            deadline_ms=int(time.time() * 1000) + self.deadline_ms,
            # One receipt id whoever decides: if the request reached an evaluator after all
            # and it decides too, the signer and the sink record the decision once.
            receipt_id=new_receipt_id(),
        )
        if await self.monitor.evaluator_alive_now() is False:
            why = "no evaluator is alive"
        else:
            future = self.router.expect(request_id)
            self.publisher.submit(request_id, encode(request))
            # A timer that fails the future, not asyncio.wait_for (which wraps it in another
            # future and two callbacks, per request).
            timer = asyncio.get_running_loop().call_later(self.deadline_s, _expire, future)
            try:
                reply = await future
            except TimeoutError:
                self.router.forget(request_id)
                why = f"no evaluator answered within {self.deadline_ms} ms"
            except BusUnavailableError as exc:
                self.router.forget(request_id)
                why = f"the bus is unavailable ({exc})"
            else:
                return Outcome(reply.decision, "evaluator", policy_set_hash=reply.policy_set_hash)
            finally:
                timer.cancel()
        return await self._degraded(request, why)

    async def _degraded(self, request: EvalRequest, why: str) -> Outcome:
        runtime = self.policies.runtime
        if not self.fallback:
            failure = f"{why}, and in-process evaluation is switched off"
        elif runtime is None:
            failure = f"{why}, and the gateway has no policies loaded ({self.policies.error})"
        else:
            try:
                event, decision = await self.local(runtime, request)
            except Exception as exc:
                failure = f"{why}, and in-process evaluation failed: {type(exc).__name__}"
                log.exception("in-process evaluation crashed")
            else:
                self.monitor.mark_degraded()
                log.warning("evaluated in-process (degraded)", why=why)
                decision = await self._publish_trail(request, event, decision, runtime)
                policy_set_hash = runtime.snapshot.compiled.policy_set_hash
                return Outcome(decision, "degraded", policy_set_hash=policy_set_hash)
        log.error("call could not be evaluated", why=failure)
        return await self.refuse(
            request_id=request.request_id,
            source=request.source,
            payload=request.payload,
            enrichment=request.enrichment,
            caller=request.caller,
            failure=failure,
        )

    async def refuse(
        self,
        *,
        request_id: str,
        source: str,
        payload: bytes,
        enrichment: dict[str, str],
        caller: str,
        failure: str,
    ) -> Outcome:
        """A deny for a call nothing could evaluate, published for signing and audit.

        The raw payload stands as the event (as for a payload the evaluator cannot parse),
        so the refusal gets a receipt and an audit record like any decision."""
        identity = Identity(principal=enrichment.get("principal", "unknown")[:_FACT_CAP])
        event = unparsed_event(source, payload, identity)
        request = EvalRequest(
            request_id=request_id,
            reply_to=self.router.stream,
            source=source,
            payload=payload,
            caller=caller,
            enrichment=enrichment,
        )
        runtime = self.policies.runtime
        decision = await self._publish_trail(request, event, refusal(failure), runtime)
        return Outcome(decision, "refused", failure)

    async def _publish_trail(
        self, request: EvalRequest, event: Event, decision: Decision, runtime: Runtime | None
    ) -> Decision:
        """Publish the decision for signing and audit; the decision as answered.

        When the bus refuses it (or records already wait for the bus), the record goes to the
        outbox, which publishes it once the bus is back; the decision is still the answer,
        and its reason says that its receipt and audit record are not there yet."""
        compiled = runtime.snapshot.compiled if runtime is not None else None
        record = DecisionRecord(
            request_id=request.request_id,
            event=event,
            decision=decision,
            caller=request.caller,
            policy_set_hash=compiled.policy_set_hash if compiled is not None else "",
            pack_versions=dict(compiled.packs) if compiled is not None else {},
            degraded=True,
        )
        payload = encode(record)
        if self.outbox.waiting:  # the bus is known to be down: keep the order, skip the wait
            error = "records are waiting for it"
        else:
            try:
                async with asyncio.timeout(_TRAIL_TIMEOUT_S):
                    await self.bus.publish(
                        DECISIONS_STREAM, payload, maxlen=maxlen_for(DECISIONS_STREAM)
                    )
            except Exception as exc:  # noqa: BLE001 - the answer stands; the trail waits
                error = repr(exc) if str(exc) else type(exc).__name__
            else:
                return decision
        self.outbox.put(decision.receipt_id, payload)
        log.warning(
            "the bus did not take a decision record: it waits in the outbox",
            receipt_id=decision.receipt_id,
            decision=decision.decision,
            error=error,
        )
        return msgspec.structs.replace(
            decision,
            reason=f"{decision.reason} This decision is not recorded yet (no receipt, no "
            f"audit record): the bus is unavailable ({error}); the gateway publishes it when "
            "the bus is back.",
        )
