"""Health that tells the truth: /healthz (alive), /ready (can decide now), /health (detail).

/ready runs a real canary evaluation and asks the bus; it goes 503 first when shutdown
begins, so load balancers stop sending before anything is torn down.
"""

from __future__ import annotations

import time
from functools import cache
from importlib import metadata
from typing import Any

import msgspec
from litestar import Request, Response, get

from vectimus.gateway.errors import JSON
from vectimus.gateway.monitor import SERVICES, probe
from vectimus.gateway.policy_health import policy_report
from vectimus.gateway.routes.common import core_of


@cache
def version() -> str:
    try:
        return metadata.version("vectimus-gateway")
    except metadata.PackageNotFoundError:
        return "unknown"


def _json(body: dict[str, Any], status: int = 200) -> Response[bytes]:
    return Response(
        content=msgspec.json.encode(body),
        status_code=status,
        media_type=JSON,
        headers={"Cache-Control": "no-store"},
    )


_BEAT_KEYS = (
    "host",
    "pid",
    "started_at",
    "beat_at_ms",
    "policy_set_hash",
    "policy_source",
    "policy_loaded_at_ms",
    "handled",
    "failed",
)


def _beat(info: dict[str, Any]) -> dict[str, Any]:
    """The parts of a heartbeat worth showing (never anything secret: heartbeats hold none)."""
    return {k: info[k] for k in _BEAT_KEYS if k in info}


@get("/healthz")
async def healthz() -> Response[bytes]:
    return _json({"status": "alive"})


@get("/ready")
async def ready(request: Request[Any, Any, Any]) -> Response[bytes]:
    core = core_of(request)
    reasons: list[str] = []
    if core.shutting_down:
        reasons.append("shutting down")
    else:
        problem = core.policies.canary()
        if problem:
            reasons.append(f"policies: {problem}")
        liveness = await probe(core.bus)
        if not liveness.bus_ok:
            what = "redis" if core.mode == "distributed" else "the in-process bus"
            reasons.append(f"{what} unreachable: {liveness.bus_error}")
        elif liveness.alive("evaluator") == 0:
            reasons.append("no evaluator is alive")
    if reasons:
        return _json({"ready": False, "reason": "; ".join(reasons), "reasons": reasons}, 503)
    return _json({"ready": True})


@get("/health")
async def health(request: Request[Any, Any, Any]) -> Response[bytes]:
    core = core_of(request)
    liveness = await probe(core.bus)
    names = [*SERVICES, *(k for k in liveness.instances if k not in SERVICES)]
    services = {
        name: {
            "alive": liveness.alive(name) > 0,
            "instances": [
                {"instance": instance, **_beat(liveness.details.get(instance, {}))}
                for instance in liveness.instances.get(name, [])
            ],
        }
        for name in names
    }
    policies = core.policies
    policy, policy_problems = policy_report(
        policies.runtime,
        loaded_at=policies.loaded_at,
        load_error=policies.error,
        bundle_error=core.follower.error,
        liveness=liveness,
    )
    degraded = (
        core.monitor.recently_degraded
        or not liveness.bus_ok
        or not (liveness.alive("evaluator"))
        or bool(policy_problems)
    )
    if core.shutting_down:
        status = "shutting-down"
    elif policies.runtime is None or not liveness.bus_ok:
        status = "failing"
    else:
        status = "degraded" if degraded else "ok"
    body: dict[str, Any] = {
        "status": status,
        "version": version(),
        "mode": core.mode,
        "gateway_id": core.gateway_id,
        "rule_count": policies.rule_count,
        "policy_set_hash": policies.policy_set_hash,
        "policy_error": policies.error,
        "policies": policy,
        "uptime_s": round(time.time() - core.metrics.started, 3),
        "redis": {
            "configured": core.mode == "distributed",
            "connected": liveness.bus_ok if core.mode == "distributed" else None,
            "error": liveness.bus_error,
        },
        "services": services,
        "degraded": degraded,
        "observe": core.settings.observe,
    }
    return _json(body)
