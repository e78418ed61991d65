"""POST /evaluate: one raw hook payload in, one decision out.

The answer is ``{decision, reason, suggested_alternative, matched_policy_ids, receipt_id,
evaluation_time_ms, degraded}``. A payload with ``hook_event_name`` (or ``hookEventName``)
also gets Claude Code's ``hookSpecificOutput``, so a Claude Code ``"type": "http"`` hook can
call the gateway directly; such a request that cannot be evaluated is answered 200 deny,
because Claude Code lets a call through on any non-2xx answer.

A call that reaches evaluation but cannot be evaluated leaves a receipt and an audit record,
like any decision: an unknown source or a JSON body that is not an object is answered 400
with the error *and* a deny (``decision``, ``reason``, ``receipt_id``), and published for
signing and audit. Rejections that are not evaluation attempts leave no trail: a missing or
wrong key (401), a body over the limit (413), an empty or malformed JSON body (400 bad-json).

The route is a Litestar ASGI handler: every agent tool call passes through it, and Litestar's
request and response objects, and a guard (which copies its handler per call), were half the
gateway's CPU per request. Routing, CORS and the error handlers are Litestar's as for every
route; the key check is the guard's own function.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

import msgspec
import structlog
from litestar import asgi
from litestar.enums import ScopeType
from litestar.exceptions import ClientException, InternalServerException, MethodNotAllowedException
from litestar.exceptions.http_exceptions import RequestEntityTooLarge
from litestar.types import (
    HTTPResponseBodyEvent,
    HTTPResponseStartEvent,
    HTTPScope,
    Receive,
    Scope,
    Send,
)
from msgspec import UNSET, UnsetType

from vectimus.core.events import Decision
from vectimus.core.jsondecode import DECODE_ERRORS
from vectimus.core.logs import bind_ids, logs_at
from vectimus.core.normalise.registry import NORMALISERS
from vectimus.core.protocol import render
from vectimus.gateway.enrichment import split_enrichment
from vectimus.gateway.errors import JSON, ApiError
from vectimus.gateway.routes.common import authenticate, request_id_from

log = structlog.get_logger("vectimus.gateway.evaluate")

DEFAULT_SOURCE = "claude-code"
# 400s that are evaluation attempts: refused with a deny that is signed and audited.
_REFUSED_CODES = frozenset({"unknown-source", "bad-payload"})
_OBSERVED_VERB = {"deny": "denied", "escalate": "asked a human about"}


class Answer(msgspec.Struct):
    decision: str
    reason: str
    suggested_alternative: str
    matched_policy_ids: tuple[str, ...]
    receipt_id: str
    evaluation_time_ms: float
    degraded: bool
    policy_set_hash: str
    # The escalated receipt an approval or timeout settled (absent on every other answer).
    escalation_of: str | UnsetType = UNSET
    hookSpecificOutput: dict[str, Any] | UnsetType = UNSET  # noqa: N815 - Claude Code's name


_encode = msgspec.json.Encoder().encode
_JSON_TYPE = JSON.encode()


def _hook_event(payload: dict[str, Any]) -> str | None:
    for key in ("hook_event_name", "hookEventName"):
        value = payload.get(key)
        if isinstance(value, str) and value:
            return value
    return None


def _observed(decision: Decision) -> Decision:
    """Observe mode: the evaluated decision, answered as an allow that says what it would be."""
    verb = _OBSERVED_VERB.get(decision.decision, "denied")
    return msgspec.structs.replace(
        decision,
        decision="allow",
        observed=True,
        reason=f"Allowed in observe mode; Vectimus would have {verb} this: {decision.reason}",
    )


def _source(given: str | None) -> str:
    source = given or DEFAULT_SOURCE
    if source not in NORMALISERS:
        valid = list(NORMALISERS)
        raise ApiError(
            400,
            "unknown-source",
            f"unknown source {source[:64]!r} in X-Vectimus-Source",
            hint="valid sources: " + ", ".join(valid),
            extra={"valid_sources": valid},
        )
    return source


def _payload(body: bytes) -> dict[str, Any]:
    if not body.strip():
        raise ApiError(400, "bad-json", "the request body is empty; expected a hook payload")
    try:
        payload = msgspec.json.decode(body)
    except DECODE_ERRORS as exc:
        raise ApiError(400, "bad-json", f"the request body is not valid JSON: {exc}") from None
    if not isinstance(payload, dict):
        raise ApiError(
            400,
            "bad-payload",
            f"the request body is a JSON {type(payload).__name__}, not an object",
            hint="send the hook payload exactly as the agent tool wrote it",
        )
    return payload


async def _refuse(
    core: Any,
    headers: Mapping[str, str],
    *,
    request_id: str,
    caller: str,
    body: bytes,
    error: ApiError,
) -> None:
    """Record a call refused before evaluation; its deny joins the error body."""
    source = (headers.get("x-vectimus-source") or DEFAULT_SOURCE)[:64]
    with bind_ids(request_id=request_id):
        outcome = await core.decider.refuse(
            request_id=request_id,
            source=source,
            payload=body,
            enrichment={},
            caller=caller,
            failure=error.message,
        )
        decision = outcome.decision
        _log_decision("info", decision, source, caller, outcome.path, error=error.code)
    error.extra.update(
        decision=decision.decision, reason=decision.reason, receipt_id=decision.receipt_id
    )
    error.headers.setdefault("X-Request-ID", request_id)


def _log_decision(
    level: str, decision: Decision, source: str, caller: str, path: str, **extra: Any
) -> None:
    getattr(log, level)(
        "decision",
        receipt_id=decision.receipt_id,
        decision=decision.decision,
        source=source,
        caller=caller,
        path=path,
        **extra,
    )


def _headers(scope: HTTPScope) -> dict[str, str]:
    """The request's headers by (lower-case) name; the first of a repeated one."""
    headers: dict[str, str] = {}
    for name, value in scope["headers"]:
        headers.setdefault(name.decode("latin-1"), value.decode("latin-1"))
    return headers


async def _body(receive: Receive, declared: str | None, limit: int) -> bytes:
    """The request body; Litestar's own errors for what its ``Request.body`` refuses: a
    declared or streamed size over ``limit`` (413), a bad Content-Length (400)."""
    if declared is not None:
        try:
            too_large = int(declared) > limit
        except ValueError:
            raise ClientException(f"Invalid content-length: {declared!r}") from None
        if too_large:
            raise RequestEntityTooLarge
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            raise InternalServerException("client disconnected prematurely")
        chunk = message["body"]
        size += len(chunk)
        if size > limit:
            raise RequestEntityTooLarge
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


@asgi("/evaluate", is_mount=False, copy_scope=False)
async def evaluate(scope: Scope, receive: Receive, send: Send) -> None:
    if scope["type"] != ScopeType.HTTP or scope["method"] != "POST":
        raise MethodNotAllowedException(headers={"Allow": "POST"})
    started = time.perf_counter()
    core = scope["app"].state.core
    headers = _headers(scope)
    caller = authenticate(core, headers).caller or ""
    request_id = request_id_from(headers.get("x-request-id"))
    body = await _body(receive, headers.get("content-length"), core.settings.max_body_bytes)
    try:
        source = _source(headers.get("x-vectimus-source"))
        payload = _payload(body)
    except ApiError as error:
        if error.code in _REFUSED_CODES:
            await _refuse(
                core, headers, request_id=request_id, caller=caller, body=body, error=error
            )
        raise
    hook_event = _hook_event(payload)
    enrichment, forwarded = split_enrichment(payload, body)

    with bind_ids(request_id=request_id):
        outcome = await core.decider.decide(
            request_id=request_id,
            source=source,
            payload=forwarded,
            enrichment=enrichment,
            caller=caller,
        )
        decision = outcome.decision
        if outcome.failure:
            core.metrics.failure("unevaluated")
        elif core.settings.observe and decision.decision != "allow":
            log.warning(
                "observe mode: allowed a call Vectimus would have refused",
                receipt_id=decision.receipt_id,
                would_be=decision.decision,
                matched=decision.matched_policy_ids,
            )
            decision = _observed(decision)
        elif decision.decision == "escalate" and core.escalations.holds:
            # [escalation] mode = "approval": the answer waits for an approver, or the timeout.
            decision = await core.escalations.hold(
                decision,
                request_id=request_id,
                source=source,
                payload=forwarded,
                enrichment=enrichment,
                caller=caller,
            )
        elapsed = time.perf_counter() - started
        core.metrics.decision(
            decision=decision.decision,
            source=source,
            matched=decision.matched_policy_ids,
            seconds=elapsed,
            path=outcome.path,
        )
        # Every decision is in the audit trail, on /events and in /metrics already; the log
        # names the calls that did not take the normal path. (A JSON line per deny was a
        # quarter of this route's CPU.)
        notable = outcome.path != "evaluator" or decision.observed
        level = "info" if notable else "debug"
        if logs_at(level):
            ms = round(elapsed * 1000, 3)
            _log_decision(level, decision, source, caller, outcome.path, ms=ms)

    answer = Answer(
        decision=decision.decision,
        reason=decision.reason,
        suggested_alternative=decision.suggested_alternative,
        matched_policy_ids=decision.matched_policy_ids,
        receipt_id=decision.receipt_id,
        evaluation_time_ms=decision.evaluation_time_ms,
        degraded=outcome.degraded,
        policy_set_hash=outcome.policy_set_hash,
    )
    if decision.escalation_of:
        answer.escalation_of = decision.escalation_of
    if hook_event is not None:
        rendered, _ = render(
            "claude-code", decision, explicit_allow=True, hook_event_name=hook_event
        )
        if rendered is not None:
            answer.hookSpecificOutput = rendered["hookSpecificOutput"]
    # Not hook-shaped and not evaluated: a 503 tells an API client to retry or alarm.
    status = 503 if outcome.failure and hook_event is None else 200
    content = _encode(answer)
    start: HTTPResponseStartEvent = {
        "type": "http.response.start",
        "status": status,
        "headers": [
            (b"content-type", _JSON_TYPE),
            (b"content-length", str(len(content)).encode()),
            (b"x-request-id", request_id.encode()),
        ],
    }
    await send(start)
    end: HTTPResponseBodyEvent = {"type": "http.response.body", "body": content, "more_body": False}
    await send(end)
