"""A batch of requests decided together: read every payload, count the sessions in one
round trip, then evaluate them one by one on the event loop, yielding between calls.

Not in a worker thread: Cedar holds the GIL, so a thread bought no parallelism, and handing
each batch over and back cost a quarter of the evaluation's own CPU. Yielding to the event
loop once a millisecond of evaluation has passed keeps heartbeats and the policy follower on
time (a call takes a few tenths of one); yielding after every call cost a loop iteration,
and a poll of the sockets, per call.

Every call is counted, once per call, in one round trip per batch that runs beside the
evaluation: only agent spawns and messages read their session's counts (the other actions'
Cedar contexts have none), so only they wait for the round trip, and the counts they see
include the call they judge. The batch's answers are complete, and it is acknowledged, only
after the counting is done. The call id given to the counter is the receipt id, fixed per
stream entry, so a request delivered again after its evaluator died counts once. A counter
that fails gives counts that say so, and the pipeline escalates the spawns and messages that
needed them.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Sequence

from vectimus.core.bus.messages import EvalRequest
from vectimus.core.events import Event
from vectimus.core.logs import bind_ids, get_logger, safe_error
from vectimus.core.sessions import (
    COUNTED_ACTIONS,
    SessionCall,
    SessionCounter,
    SessionCounts,
    call_of,
)
from vectimus.evaluator.handler import (
    Answer,
    Evaluation,
    decide,
    prepare,
    receipt_id_for,
    refusal,
)

log = get_logger("vectimus.evaluator").bind(component="evaluator")

Entry = tuple[str, EvalRequest]  # (stream entry id, request)
_YIELD_EVERY_S = 0.001


async def answer_batch(
    evaluation: Evaluation, requests: Sequence[Entry], sessions: SessionCounter
) -> list[Answer]:
    """One answer per request, in order; a request that crashes is answered with a deny."""
    return [found async for found in answers_of(evaluation, requests, sessions)]


async def answers_of(
    evaluation: Evaluation, requests: Sequence[Entry], sessions: SessionCounter
) -> AsyncIterator[Answer]:
    """The answers of :func:`answer_batch`, each as soon as it is decided."""
    prepared = [_prepare(evaluation, entry_id, request) for entry_id, request in requests]
    counting, slots = _start_counting(evaluation, requests, prepared, sessions)
    yielded = time.monotonic()
    try:
        for (entry_id, request), found, slot in zip(requests, prepared, slots, strict=True):
            if isinstance(found, Answer):
                yield found
                continue
            session = None
            if counting is not None and slot is not None and _reads_counts(found):
                session = (await counting)[slot]
            try:
                yield decide(request, entry_id, evaluation, found, session)
            except Exception as exc:  # noqa: BLE001 - a crash evaluating one call is its deny
                yield _crashed(evaluation, entry_id, request, exc)
            if time.monotonic() - yielded >= _YIELD_EVERY_S:
                await asyncio.sleep(0)
                yielded = time.monotonic()
        if counting is not None:
            await counting
    finally:
        if counting is not None and not counting.done():
            counting.cancel()  # the batch was abandoned: it stays pending and counts again


def _start_counting(
    evaluation: Evaluation,
    requests: Sequence[Entry],
    prepared: Sequence[Event | Answer],
    sessions: SessionCounter,
) -> tuple[asyncio.Future[list[SessionCounts]] | None, list[int | None]]:
    """The round trip counting every call of the batch (None: no call names a session),
    and each request's place among the counted calls."""
    calls: list[SessionCall] = []
    slots: list[int | None] = []
    for (entry_id, request), found in zip(requests, prepared, strict=True):
        call = None
        if isinstance(found, Event):
            call = call_of(found, receipt_id_for(request, entry_id))
        slots.append(len(calls) if call is not None else None)
        if call is not None:
            calls.append(call)
    if not calls:
        return None, slots
    counting = sessions.count(calls, ttl_s=evaluation.limits.session_ttl_s)
    return asyncio.ensure_future(counting), slots


def _reads_counts(event: Event) -> bool:
    return event.action.action_type in COUNTED_ACTIONS


def _prepare(evaluation: Evaluation, entry_id: str, request: EvalRequest) -> Event | Answer:
    try:
        return prepare(request, entry_id, evaluation)
    except Exception as exc:  # noqa: BLE001 - a crash reading one payload is that call's deny
        return _crashed(evaluation, entry_id, request, exc)


def _crashed(evaluation: Evaluation, entry_id: str, request: EvalRequest, exc: Exception) -> Answer:
    with bind_ids(request_id=request.request_id):
        log.exception("evaluation failed: answered deny", error=safe_error(exc))
    return refusal(request, entry_id, evaluation, f"internal error: {type(exc).__name__}")
