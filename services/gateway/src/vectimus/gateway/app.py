"""The Litestar application: :func:`build_app` serves a core, :func:`create_app` builds one.

``granian --interface asgi --factory vectimus.gateway.app:create_app`` works as it is:
the factory reads the settings from the environment and the config files.

Start-up and shutdown happen in one lifespan, in a fixed order. Up: load the policies,
start the embedded services (embedded mode), the reply reader, the request publisher, the
events tail, then the liveness monitor. Down: report not-ready, stop the embedded services
(they drain), stop the tails and the publisher, close the bus.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

import structlog
from litestar import Litestar
from litestar.config.cors import CORSConfig
from litestar.datastructures import State
from litestar.exceptions import HTTPException

from vectimus.core import heap
from vectimus.gateway.core import GatewayCore, build_core
from vectimus.gateway.errors import ApiError, handle_api_error, handle_http_exception
from vectimus.gateway.routes.approvals import approve, show
from vectimus.gateway.routes.dashboard import dashboard, dashboard_asset
from vectimus.gateway.routes.evaluate import evaluate
from vectimus.gateway.routes.events import events
from vectimus.gateway.routes.health import health, healthz, ready
from vectimus.gateway.routes.metrics import metrics
from vectimus.gateway.routes.policies import policies

log = structlog.get_logger("vectimus.gateway")

_SERVICE_STOP_S = 10.0
_EMBEDDED_WAIT_S = 5.0


async def _wait_for_evaluator(core: GatewayCore) -> None:
    """Embedded mode: let the in-process evaluator's first heartbeat land before serving."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + _EMBEDDED_WAIT_S
    while loop.time() < deadline:
        liveness = await core.monitor.refresh()
        if liveness.alive("evaluator"):
            return
        await asyncio.sleep(0.02)
    log.error("the embedded evaluator did not report alive", waited_s=_EMBEDDED_WAIT_S)


async def _stop_services(tasks: list[asyncio.Task[None]], stop: asyncio.Event) -> None:
    stop.set()
    if not tasks:
        return
    done, running = await asyncio.wait(tasks, timeout=_SERVICE_STOP_S)
    for task in running:
        task.cancel()
    for task in [*done, *running]:
        with contextlib.suppress(asyncio.CancelledError):
            error = await asyncio.gather(task, return_exceptions=True)
            if error and isinstance(error[0], BaseException):
                log.error(
                    "embedded service ended with an error",
                    service=task.get_name(),
                    error=repr(error[0]),
                )


@contextlib.asynccontextmanager
async def lifespan(app: Litestar) -> AsyncIterator[None]:
    core: GatewayCore = app.state.core
    structlog.contextvars.bind_contextvars(component="gateway", gateway_id=core.gateway_id)
    await core.follower.prime()  # with [policies] bundle_url: start on the newest bundle
    await asyncio.to_thread(core.policies.load)
    stop_services = asyncio.Event()
    stop_watch = asyncio.Event()
    service_tasks = [
        asyncio.create_task(service.run(core.bus, stop_services), name=service.name)
        for service in core.services
    ]
    core.router.start()
    core.publisher.start()
    core.outbox.start()
    core.feed.start()
    core.follower.start(
        stop_watch,
        interval_s=core.settings.policy_reload_s,
        reload=lambda: asyncio.to_thread(core.policies.load),
        current=lambda: core.policies.runtime,
    )
    if service_tasks:
        await _wait_for_evaluator(core)
    else:
        await core.monitor.refresh()
    core.monitor.start()
    heap.settle()
    if not core.keys.enabled:
        log.warning(
            "no API keys are configured: every caller is accepted as 'anonymous'",
            hint="set VECTIMUS_API_KEY, VECTIMUS_API_KEYS or [[server.api_keys]]",
        )
    log.info(
        "gateway started",
        mode=core.mode,
        rules=core.policies.rule_count,
        observe=core.settings.observe,
        services=[s.name for s in core.services],
    )
    try:
        yield
    finally:
        core.shutting_down = True  # /ready answers 503 from here on
        log.info("gateway stopping")
        await core.escalations.close()  # before the outbox drains: settlements go in it
        await core.outbox.stop()  # decision records kept while Redis was away: publish them
        await _stop_services(service_tasks, stop_services)
        stop_watch.set()
        await core.feed.stop()
        await core.publisher.stop()
        await core.router.stop()
        await core.monitor.stop()
        await core.follower.join()
        with contextlib.suppress(Exception):
            await core.bus.close()
        log.info("gateway stopped")


def build_app(core: GatewayCore) -> Litestar:
    """The app serving ``core``: every route, the limits, CORS and the error handlers."""
    settings = core.settings
    cors = (
        CORSConfig(
            allow_origins=list(settings.cors_origins),
            allow_methods=["GET", "POST", "OPTIONS"],
            allow_headers=[
                "Authorization",
                "Content-Type",
                "Last-Event-ID",
                "X-Request-ID",
                "X-Vectimus-Key",
                "X-Vectimus-Source",
            ],
            expose_headers=["X-Request-ID"],
        )
        if settings.cors_origins
        else None
    )
    exception_handlers: dict[Any, Any] = {
        ApiError: handle_api_error,
        HTTPException: handle_http_exception,
    }
    return Litestar(
        route_handlers=[
            evaluate,
            policies,
            health,
            healthz,
            ready,
            events,
            metrics,
            dashboard,
            dashboard_asset,
            approve,
            show,
        ],
        state=State({"core": core}),
        lifespan=[lifespan],
        cors_config=cors,
        request_max_body_size=settings.max_body_bytes,
        exception_handlers=exception_handlers,
        openapi_config=None,
        logging_config=None,
    )


def create_app() -> Litestar:
    """The factory granian calls in each worker: settings from the environment and files."""
    from vectimus.core.logs import configure_logging  # noqa: PLC0415
    from vectimus.gateway.settings import load_settings  # noqa: PLC0415

    settings = load_settings()
    configure_logging("gateway", level=settings.log_level)
    return build_app(build_core(settings))
