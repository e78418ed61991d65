"""GET /events: the decision events of every gateway, as Server-Sent Events.

``id:`` is the event's stream id; reconnecting with ``Last-Event-ID`` (the header browsers
send, or ``?last_event_id=``) resumes right after it. ``?decision=deny&source=cursor``,
``rule=<rule id>`` and ``principal=<principal or API key name>`` filter (comma-separated
values are alternatives). A comment line is sent as a heartbeat.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from litestar import Request, get
from litestar.response import ServerSentEvent

from vectimus.core.normalise.registry import NORMALISERS
from vectimus.gateway.errors import ApiError
from vectimus.gateway.routes.common import core_of, require_key
from vectimus.gateway.sse import EventFilter, valid_stream_id

_DECISIONS = ("allow", "deny", "escalate")
# Rule ids and principals are open sets (rules come and go with the packs), so they are
# only bounded, never checked against a list.
_MAX_VALUES = 32
_MAX_VALUE_CHARS = 128


def _check_bounds(name: str, values: Collection[str]) -> None:
    if len(values) > _MAX_VALUES or any(len(v) > _MAX_VALUE_CHARS for v in values):
        raise ApiError(
            400,
            "bad-filter",
            f"the {name} filter is too large",
            hint=f"at most {_MAX_VALUES} values of at most {_MAX_VALUE_CHARS} characters",
        )


def _filter(
    decision: str | None, source: str | None, rule: str | None, principal: str | None
) -> EventFilter:
    chosen = EventFilter.parse(decision, source, rule, principal)
    _check_bounds("rule", chosen.rules)
    _check_bounds("principal", chosen.principals)
    unknown = [d for d in chosen.decisions if d not in _DECISIONS]
    if unknown:
        raise ApiError(
            400,
            "bad-filter",
            f"unknown decision filter {', '.join(sorted(unknown))}",
            hint="decision is one of " + ", ".join(_DECISIONS),
        )
    unknown = [s for s in chosen.sources if s not in NORMALISERS]
    if unknown:
        raise ApiError(
            400,
            "unknown-source",
            f"unknown source filter {', '.join(sorted(unknown))}",
            hint="valid sources: " + ", ".join(NORMALISERS),
            extra={"valid_sources": list(NORMALISERS)},
        )
    return chosen


@get("/events", guards=[require_key])
async def events(request: Request[Any, Any, Any]) -> ServerSentEvent:
    core = core_of(request)
    query = request.query_params
    accept = _filter(
        query.get("decision"), query.get("source"), query.get("rule"), query.get("principal")
    )
    resume = request.headers.get("last-event-id") or query.get("last_event_id") or None
    if resume is not None and not valid_stream_id(resume):
        raise ApiError(
            400,
            "bad-last-event-id",
            f"Last-Event-ID {resume[:64]!r} is not a stream id",
            hint="use the id: of an event this endpoint sent",
        )
    stream = core.feed.follow(
        resume,
        accept,
        heartbeat_s=core.settings.sse_heartbeat_s,
        stopping=lambda: core.shutting_down,
        hello=f"connected gateway={core.gateway_id}",
    )
    return ServerSentEvent(stream)
