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

from vectimus.core.bundles.follow import Follower
from vectimus.core.bus import Bus
from vectimus.core.bus.messages import REPLY_STREAM_PREFIX
from vectimus.core.errors import ConfigError
from vectimus.core.escalation import EscalationSettings
from vectimus.gateway.approvals.config import NO_APPROVER, NO_APPROVER_HINT
from vectimus.gateway.approvals.hold import Escalations
from vectimus.gateway.approvals.notify import Notifier
from vectimus.gateway.approvals.store import ApprovalStore, MemoryApprovalStore
from vectimus.gateway.auth import ApiKeys
from vectimus.gateway.decide import Decider, LocalEvaluate
from vectimus.gateway.metrics import Metrics
from vectimus.gateway.monitor import Monitor
from vectimus.gateway.outbox import TrailOutbox
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
    # [escalation], and where held calls wait (Redis in distributed mode).
    escalation: EscalationSettings = field(default_factory=EscalationSettings)
    approvals: ApprovalStore = field(default_factory=MemoryApprovalStore)
    shutting_down: bool = False

    def __post_init__(self) -> None:
        self.keys = ApiKeys(self.settings.keys(), self.settings.roles())
        if self.escalation.mode == "approval" and not self.keys.with_role("approver"):
            raise ConfigError(NO_APPROVER, hint=NO_APPROVER_HINT)
        self.monitor = Monitor(self.bus)
        self.router = ReplyRouter(self.bus, f"{REPLY_STREAM_PREFIX}{self.gateway_id}")
        self.publisher = RequestPublisher(self.bus, self.router)
        self.feed = EventFeed(self.bus)
        self.outbox = TrailOutbox(self.bus)
        self.escalations = Escalations(
            settings=self.escalation,
            store=self.approvals,
            notifier=Notifier(self.escalation, public_url=self.public_url),
            bus=self.bus,
            outbox=self.outbox,
            policies=self.policies,
        )
        self.follower = Follower(
            bus=self.bus,
            service="gateway",
            instance=self.gateway_id,
            kind="version",
            environ=self.policies.environ,
        )
        self.decider = Decider(
            bus=self.bus,
            policies=self.policies,
            router=self.router,
            publisher=self.publisher,
            monitor=self.monitor,
            outbox=self.outbox,
            local=self.local,
            deadline_ms=self.settings.eval_deadline_ms,
            fallback=self.settings.degraded_fallback,
        )

    @property
    def mode(self) -> str:
        return "distributed" if self.settings.redis_url is not None else "embedded"

    @property
    def public_url(self) -> str:
        """Where approvers reach this gateway: ``[escalation] public_url``, else its own."""
        if self.escalation.public_url:
            return self.escalation.public_url
        scheme = "https" if self.settings.ssl_certfile is not None else "http"
        return f"{scheme}://{self.settings.host}:{self.settings.port}"


def build_core(settings: ServerSettings) -> GatewayCore:
    """The production wiring for ``settings``."""
    from vectimus.gateway.approvals.config import load_escalation  # noqa: PLC0415
    from vectimus.gateway.wiring import (  # noqa: PLC0415
        embedded_services,
        local_evaluation,
        make_bus,
        shared_state,
    )

    escalation = load_escalation()
    bus = make_bus(settings)
    approvals, sessions = shared_state(bus)
    policies = PolicyState.for_settings(settings)
    services = embedded_services(settings, sessions) if settings.redis_url is None else ()
    return GatewayCore(
        settings=settings,
        bus=bus,
        policies=policies,
        local=local_evaluation(sessions),
        services=services,
        escalation=escalation,
        approvals=approvals,
    )
