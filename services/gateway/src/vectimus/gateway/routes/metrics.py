"""GET /metrics: Prometheus text. Counters are this worker's; stream gauges are the bus's."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

from litestar import Request, Response, get

from vectimus.core.bus.messages import (
    AUDIT_GROUP,
    DECISIONS_STREAM,
    EVAL_STREAM,
    EVALUATOR_GROUP,
    EVENTS_STREAM,
    RECEIPTS_STREAM,
    SIGNER_GROUP,
)
from vectimus.gateway.metrics import Labels
from vectimus.gateway.monitor import SERVICES, probe
from vectimus.gateway.routes.common import core_of, require_key

_STREAMS = (EVAL_STREAM, DECISIONS_STREAM, RECEIPTS_STREAM, EVENTS_STREAM)
_GROUPS = (
    (EVAL_STREAM, EVALUATOR_GROUP),
    (DECISIONS_STREAM, SIGNER_GROUP),
    (RECEIPTS_STREAM, AUDIT_GROUP),
)
_TIMEOUT_S = 1.0
_LENGTH = "vectimus_stream_length"
_LENGTH_HELP = "Entries in each stream (work streams hold only unfinished work)"
_PENDING = "vectimus_stream_pending"
_PENDING_HELP = "Entries delivered to a consumer group and not yet acknowledged"
_LAG = "vectimus_stream_lag"
_LAG_HELP = "Entries of a work stream not yet delivered to its consumer group"

Gauge = tuple[str, str, Labels, float]


async def _bus_gauges(core: Any) -> list[Gauge]:
    gauges: list[Gauge] = []
    liveness = await probe(core.bus)
    gauges.append(("vectimus_bus_up", "1 when the bus answers a ping", (), float(liveness.bus_ok)))
    for name in SERVICES:
        gauges.append(
            (
                "vectimus_service_instances",
                "Live instances of each service (heartbeats)",
                (("service", name),),
                float(liveness.alive(name)),
            )
        )
    if not liveness.bus_ok:
        return gauges
    for stream in _STREAMS:
        with contextlib.suppress(Exception):  # a scrape reports what it could read
            async with asyncio.timeout(_TIMEOUT_S):
                length = await core.bus.length(stream)
            gauges.append((_LENGTH, _LENGTH_HELP, (("stream", stream),), float(length)))
    lengths = {labels[0][1]: value for name, _, labels, value in gauges if name == _LENGTH}
    for stream, group in _GROUPS:
        with contextlib.suppress(Exception):  # no group yet: no consumer has started
            async with asyncio.timeout(_TIMEOUT_S):
                pending = await core.bus.pending_count(stream, group)
            labels = (("stream", stream), ("group", group))
            gauges.append((_PENDING, _PENDING_HELP, labels, float(pending)))
            # Work streams hold only unfinished entries (acknowledged ones are deleted), so
            # what is neither pending nor done is waiting for a consumer: the lag.
            if stream in lengths:
                lag = max(0.0, lengths[stream] - pending)
                gauges.append((_LAG, _LAG_HELP, labels, lag))
    return gauges


@get("/metrics", guards=[require_key])
async def metrics(request: Request[Any, Any, Any]) -> Response[str]:
    core = core_of(request)
    gauges = await _bus_gauges(core)
    gauges.extend(
        [
            (
                "vectimus_requests_in_flight",
                "Requests waiting for an evaluator",
                (),
                float(core.router.in_flight),
            ),
            (
                "vectimus_sse_clients",
                "Connected /events clients on this worker",
                (),
                float(core.feed.clients),
            ),
            (
                "vectimus_rules_loaded",
                "Rules in the gateway's policy set",
                (),
                float(core.policies.rule_count),
            ),
            (
                "vectimus_degraded",
                "1 while the gateway reports itself degraded",
                (),
                float(core.monitor.recently_degraded),
            ),
            (
                "vectimus_eval_publish_batches",
                "XADD round trips that carried evaluation requests",
                (),
                float(core.publisher.batches),
            ),
        ]
    )
    return Response(
        content=core.metrics.render(gauges),
        media_type="text/plain; version=0.0.4; charset=utf-8",
    )
