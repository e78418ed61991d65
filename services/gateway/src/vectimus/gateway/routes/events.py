"""GET /events: the decision events of every gateway, as Server-Sent Events.

``id:`` is the event's stream id; reconnecting with ``Last-Event-ID`` (the header browsers
send, or ``?last_event_id=``) resumes right after it. ``?decision=deny&source=cursor``
filter (comma-separated values are alternatives). A comment line is sent as a heartbeat.
"""

from __future__ import annotations

from typing import Any

from litestar import Request, get
from litestar.response import ServerSentEvent

from vectimus.core.normalise.registry import NORMALISERS
from vectimus.gateway.errors import ApiError
from vectimus.gateway.routes.common import core_of, require_key
from vectimus.gateway.sse import EventFilter, valid_stream_id

_DECISIONS = ("allow", "deny", "escalate")


def _filter(decision: str | None, source: str | None) -> EventFilter:
    chosen = EventFilter.parse(decision, source)
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
    accept = _filter(query.get("decision"), query.get("source"))
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
