"""A batch of requests decided together: read every payload, count the sessions in one
round trip, then evaluate them one by one on the event loop, yielding between calls.

Not in a worker thread: Cedar holds the GIL, so a thread bought no parallelism, and handing
each batch over and back cost a quarter of the evaluation's own CPU. Yielding between calls
keeps heartbeats and the policy follower on time (one call takes about a millisecond).

Counting comes before evaluating, once per call: the counts a rule sees include the call it
judges. The call id given to the counter is the receipt id, fixed per stream entry, so a
request delivered again after its evaluator died counts once. A counter that fails gives
counts that say so, and the pipeline escalates the spawns and messages that needed them.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence

from vectimus.core.bus.messages import EvalRequest
from vectimus.core.events import Event
from vectimus.core.logs import bind_ids, get_logger, safe_error
from vectimus.core.sessions import SessionCall, SessionCounter, call_of
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
    calls: list[SessionCall] = []
    slots: list[int | None] = []
    for (entry_id, request), found in zip(requests, prepared, strict=True):
        call = None
        if isinstance(found, Event):
            call = call_of(found, receipt_id_for(request, entry_id))
        slots.append(len(calls) if call is not None else None)
        if call is not None:
            calls.append(call)
    counted = await sessions.count(calls, ttl_s=evaluation.limits.session_ttl_s) if calls else []
    counts = [counted[slot] if slot is not None else None for slot in slots]
    for (entry_id, request), found, session in zip(requests, prepared, counts, strict=True):
        if isinstance(found, Answer):
            yield found
            continue
        try:
            yield decide(request, entry_id, evaluation, found, session)
        except Exception as exc:  # noqa: BLE001 - a crash evaluating one call is its deny
            yield _crashed(evaluation, entry_id, request, exc)
        await asyncio.sleep(0)


def _prepare(evaluation: Evaluation, entry_id: str, request: EvalRequest) -> Event | Answer:
    try:
        return prepare(request, entry_id, evaluation)
    except Exception as exc:  # noqa: BLE001 - a crash reading one payload is that call's deny
        return _crashed(evaluation, entry_id, request, exc)


def _crashed(evaluation: Evaluation, entry_id: str, request: EvalRequest, exc: Exception) -> Answer:
    with bind_ids(request_id=request.request_id):
        log.exception("evaluation failed: answered deny", error=safe_error(exc))
    return refusal(request, entry_id, evaluation, f"internal error: {type(exc).__name__}")
