"""Deciding one evaluation request: a pure function of the request (and the policies).

The receipt id is derived from the request id and its stream entry id, so a request that is
delivered again (its evaluator died before acknowledging it) gets the same receipt id, and
the signer and the audit sink, idempotent by receipt id, record it once.

Enrichment (repository, branch, host name, the script a command runs) comes from the client
shim, in ``EvalRequest.enrichment`` or as the payload's ``vectimus_enrichment`` member. It
only adds facts: a fact the payload already has is kept, a malformed enrichment is ignored,
and an event evaluated with more facts can only be judged more strictly.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, NamedTuple

import msgspec
from msgspec import structs

from vectimus.core.bus.messages import DecisionRecord, EvalReply, EvalRequest
from vectimus.core.engine import Engine
from vectimus.core.errors import VectimusError
from vectimus.core.events import Decision, Event, Identity
from vectimus.core.jsondecode import DECODE_ERRORS
from vectimus.core.normalise import normalise
from vectimus.core.pipeline import Limits, Pipeline
from vectimus.core.receipts.ids import is_safe_receipt_id
from vectimus.core.record import unparsed_event
from vectimus.core.sessions import SessionCounts

ENRICHMENT_KEY = "vectimus_enrichment"
_CONTEXT_FACTS = ("repository", "branch", "hostname")
_SCRIPT_ACTIONS = frozenset(
    {"shell_command", "git_operation", "infrastructure", "package_operation"}
)
_FACT_CAP = 1024


@dataclass(frozen=True)
class Evaluation:
    """One loaded policy set, and what a reply says about it."""

    engine: Engine
    limits: Limits
    policy_set_hash: str = ""
    pack_versions: Mapping[str, str] | None = None
    evaluator: str = ""

    def pipeline(self, receipt_id: str) -> Pipeline:
        # read_file=None: a server never reads files a remote payload names; scripts arrive
        # as enrichment.
        return Pipeline(self.engine, self.limits, new_id=lambda: receipt_id, read_file=None)


class Answer(NamedTuple):
    """What one request produces: the reply for the gateway, the decision for the trail."""

    reply_to: str
    reply: EvalReply
    record: DecisionRecord


def receipt_id_for(request: EvalRequest, entry_id: str) -> str:
    """The gateway's receipt id for ``request`` when it set a sane one, else a stable one."""
    if request.receipt_id and is_safe_receipt_id(request.receipt_id):
        return request.receipt_id
    return stable_receipt_id(request.request_id, entry_id)


def stable_receipt_id(request_id: str, entry_id: str) -> str:
    """A UUIDv7-shaped receipt id: the entry's time, then bits of SHA-256(request, entry)."""
    ms_text, _, _ = entry_id.partition("-")
    try:
        ms = int(ms_text)
    except ValueError:
        ms = 0
    digest = hashlib.sha256(f"{request_id}\0{entry_id}".encode()).digest()
    value = (ms & ((1 << 48) - 1)) << 80
    value |= 0x7 << 76
    value |= (int.from_bytes(digest[:2], "big") & 0xFFF) << 64
    value |= 0b10 << 62
    value |= int.from_bytes(digest[2:10], "big") & ((1 << 62) - 1)
    return str(uuid.UUID(int=value))


def split_enrichment(payload: Any) -> tuple[Any, dict[str, str]]:
    """The payload without its ``vectimus_enrichment`` member, and that member's text facts."""
    if not isinstance(payload, dict) or ENRICHMENT_KEY not in payload:
        return payload, {}
    raw = payload[ENRICHMENT_KEY]
    rest = {k: v for k, v in payload.items() if k != ENRICHMENT_KEY}
    return rest, string_facts(raw)


def string_facts(raw: Any) -> dict[str, str]:
    if not isinstance(raw, dict):
        return {}
    return {k: v for k, v in raw.items() if isinstance(k, str) and isinstance(v, str) and v}


def enrich(event: Event, facts: Mapping[str, str]) -> Event:
    """``event`` with the facts it lacks taken from ``facts``; facts it has are kept."""
    context, action, identity = event.context, event.action, event.identity
    updates = {
        name: facts[name][:_FACT_CAP]
        for name in _CONTEXT_FACTS
        if facts.get(name) and not getattr(context, name)
    }
    if updates:
        context = structs.replace(context, **updates)
    script = facts.get("script_content")
    if script and action.script_content is None and action.action_type in _SCRIPT_ACTIONS:
        action = structs.replace(action, script_content=script)
    principal = facts.get("principal")
    if principal and identity.principal == "unknown":
        identity = structs.replace(identity, principal=principal[:_FACT_CAP])
    if context is event.context and action is event.action and identity is event.identity:
        return event
    return structs.replace(event, context=context, action=action, identity=identity)


def _answer(
    request: EvalRequest, evaluation: Evaluation, event: Event, decision: Decision
) -> Answer:
    reply = EvalReply(
        request_id=request.request_id,
        decision=decision,
        policy_set_hash=evaluation.policy_set_hash,
        evaluator=evaluation.evaluator,
    )
    record = DecisionRecord(
        request_id=request.request_id,
        event=event,
        decision=decision,
        caller=request.caller,
        policy_set_hash=evaluation.policy_set_hash,
        pack_versions=dict(evaluation.pack_versions or {}),
    )
    return Answer(request.reply_to, reply, record)


def refusal(request: EvalRequest, entry_id: str, evaluation: Evaluation, message: str) -> Answer:
    """A deny for a request that could not be evaluated; the raw payload stands as the event."""
    receipt_id = receipt_id_for(request, entry_id)
    decision = evaluation.pipeline(receipt_id).refuse(message)
    facts = string_facts(request.enrichment)
    identity = Identity(principal=facts.get("principal", "unknown")[:_FACT_CAP])
    return _answer(
        request, evaluation, unparsed_event(request.source, request.payload, identity), decision
    )


def prepare(request: EvalRequest, entry_id: str, evaluation: Evaluation) -> Event | Answer:
    """The event ``request`` asks about, or the deny for a payload that cannot be read."""
    try:
        payload = msgspec.json.decode(request.payload)
    except DECODE_ERRORS as exc:
        return refusal(request, entry_id, evaluation, f"the hook payload is not valid JSON ({exc})")
    payload, embedded = split_enrichment(payload)
    facts = {**embedded, **string_facts(request.enrichment)}
    try:
        return enrich(normalise(request.source, payload), facts)
    except VectimusError as exc:
        return refusal(request, entry_id, evaluation, str(exc))


def decide(
    request: EvalRequest,
    entry_id: str,
    evaluation: Evaluation,
    event: Event,
    session: SessionCounts | None = None,
) -> Answer:
    """Evaluate a prepared ``event``, with its session's counts when they were taken."""
    receipt_id = receipt_id_for(request, entry_id)
    decision = evaluation.pipeline(receipt_id).evaluate(event, session=session)
    return _answer(request, evaluation, event, decision)


def answer(request: EvalRequest, entry_id: str, evaluation: Evaluation) -> Answer:
    """Decide ``request`` without session counts (a replay, a benchmark baseline). Never
    raises for a bad payload: that is a deny naming the problem."""
    found = prepare(request, entry_id, evaluation)
    return found if isinstance(found, Answer) else decide(request, entry_id, evaluation, found)
