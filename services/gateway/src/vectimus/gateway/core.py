"""The composition root: every component of one gateway worker, built in one place.

:func:`build_core` picks the transport (Redis when a URL is configured, else the in-process
bus with the three services embedded) and the in-process evaluation used in degraded mode;
:func:`vectimus.gateway.app.build_app` takes the result and serves it. Tests build a core
by hand to swap any part.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any

from vectimus.core.bus import Bus
from vectimus.core.bus.messages import REPLY_STREAM_PREFIX
from vectimus.gateway.auth import ApiKeys
from vectimus.gateway.decide import Decider, LocalEvaluate
from vectimus.gateway.metrics import Metrics
from vectimus.gateway.monitor import Monitor
from vectimus.gateway.policies import PolicyState
from vectimus.gateway.replies import ReplyRouter, RequestPublisher
from vectimus.gateway.settings import ServerSettings
from vectimus.gateway.sse import EventFeed

# An embedded service: run until the event is set, then drain and return.
ServiceRun = Callable[[Bus, asyncio.Event], Coroutine[Any, Any, None]]


@dataclass(frozen=True)
class EmbeddedService:
    name: str
    run: ServiceRun


@dataclass
class GatewayCore:
    settings: ServerSettings
    bus: Bus
    policies: PolicyState
    local: LocalEvaluate
    services: tuple[EmbeddedService, ...] = ()
    gateway_id: str = field(default_factory=lambda: uuid.uuid4().hex[:16])
    metrics: Metrics = field(default_factory=Metrics)
    shutting_down: bool = False

    def __post_init__(self) -> None:
        self.keys = ApiKeys(self.settings.keys())
        self.monitor = Monitor(self.bus)
        self.router = ReplyRouter(self.bus, f"{REPLY_STREAM_PREFIX}{self.gateway_id}")
        self.publisher = RequestPublisher(self.bus, self.router)
        self.feed = EventFeed(self.bus)
        self.decider = Decider(
            bus=self.bus,
            policies=self.policies,
            router=self.router,
            publisher=self.publisher,
            monitor=self.monitor,
            local=self.local,
            deadline_ms=self.settings.eval_deadline_ms,
            fallback=self.settings.degraded_fallback,
        )

    @property
    def mode(self) -> str:
        return "distributed" if self.settings.redis_url is not None else "embedded"


def build_core(settings: ServerSettings) -> GatewayCore:
    """The production wiring for ``settings``."""
    from vectimus.gateway.wiring import embedded_services, local_evaluation, make_bus  # noqa: PLC0415

    bus = make_bus(settings)
    policies = PolicyState.for_settings(settings)
    services = embedded_services(settings) if settings.redis_url is None else ()
    return GatewayCore(
        settings=settings,
        bus=bus,
        policies=policies,
        local=local_evaluation(),
        services=services,
    )
