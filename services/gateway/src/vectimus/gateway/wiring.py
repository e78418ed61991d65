"""The production parts a core is built from: the transport, the services, local evaluation.

Kept apart from :mod:`vectimus.gateway.core` so that a core built by hand (tests) imports
none of the services.
"""

from __future__ import annotations

import asyncio
import os
import time

from vectimus.core.bus import Bus
from vectimus.core.bus.messages import EvalRequest
from vectimus.core.events import Decision, Event
from vectimus.core.runtime import Runtime
from vectimus.core.sessions import SessionCounter
from vectimus.core.sessions.memory import MemorySessionCounter
from vectimus.gateway.approvals.store import ApprovalStore, MemoryApprovalStore
from vectimus.gateway.core import EmbeddedService
from vectimus.gateway.decide import LocalEvaluate
from vectimus.gateway.settings import ServerSettings


def make_bus(settings: ServerSettings) -> Bus:
    """Redis when a URL is configured, else the in-process bus (one table, two entries)."""
    if settings.redis_url is None:
        from vectimus.core.bus.memory import MemoryBus  # noqa: PLC0415

        return MemoryBus()
    from vectimus.core.bus.redis import RedisBus  # noqa: PLC0415

    return RedisBus.from_url(settings.redis_url.get_secret_value())


def shared_state(bus: Bus) -> tuple[ApprovalStore, SessionCounter]:
    """Where held escalations wait and sessions are counted: in the Redis the bus runs on,
    where every replica and evaluator sees them, or in this process (embedded mode)."""
    from vectimus.core.bus.redis import RedisBus  # noqa: PLC0415

    if not isinstance(bus, RedisBus):
        return MemoryApprovalStore(), MemorySessionCounter()
    from vectimus.core.sessions.redis import RedisSessionCounter  # noqa: PLC0415
    from vectimus.gateway.approvals.redis_store import RedisApprovalStore  # noqa: PLC0415

    return RedisApprovalStore(bus), RedisSessionCounter(bus)


def local_evaluation(sessions: SessionCounter | None = None) -> LocalEvaluate:
    """Degraded mode evaluates with the evaluator service's own code, counting each session
    where the evaluators count it: one code path."""
    from vectimus.evaluator.batch import answer_batch  # noqa: PLC0415
    from vectimus.evaluator.main import evaluation_of  # noqa: PLC0415

    counter = sessions if sessions is not None else MemorySessionCounter()

    async def evaluate(runtime: Runtime, request: EvalRequest) -> tuple[Event, Decision]:
        # No stream entry: the request's receipt id is derived from its id and this time.
        entry_id = f"{int(time.time() * 1000)}-0"
        evaluation = evaluation_of(runtime, "gateway")
        found = (await answer_batch(evaluation, [(entry_id, request)], counter))[0]
        return found.record.event, found.reply.decision

    return evaluate


def embedded_services(
    settings: ServerSettings, sessions: SessionCounter | None = None
) -> tuple[EmbeddedService, ...]:
    """The evaluator, receipt-signer and audit-sink, run in this process (embedded mode)."""
    from vectimus.audit_sink.main import run as run_sink  # noqa: PLC0415
    from vectimus.audit_sink.settings import AuditSinkSettings  # noqa: PLC0415
    from vectimus.evaluator.main import run as run_evaluator  # noqa: PLC0415
    from vectimus.evaluator.settings import EvaluatorSettings  # noqa: PLC0415
    from vectimus.receipt_signer.main import run as run_signer  # noqa: PLC0415
    from vectimus.receipt_signer.settings import ReceiptSignerSettings  # noqa: PLC0415

    consumer = f"embedded-{os.getpid()}"
    # The gateway fetches [policies] bundle_url for both: the evaluator follows its notices.
    evaluator = EvaluatorSettings.from_env(
        redis_url=None,
        consumer=consumer,
        policy_dir=settings.policy_dir,
        observe=settings.observe,
        poll_bundle=False,
    )
    signer = ReceiptSignerSettings.from_env(redis_url=None, consumer=consumer)
    sink = AuditSinkSettings.from_env(redis_url=None, consumer=consumer)

    async def evaluate(bus: Bus, stop: asyncio.Event) -> None:
        await run_evaluator(bus, evaluator, stop, sessions=sessions)

    async def sign(bus: Bus, stop: asyncio.Event) -> None:
        await run_signer(bus, signer, stop)

    async def sink_(bus: Bus, stop: asyncio.Event) -> None:
        await run_sink(bus, sink, stop)

    return (
        EmbeddedService("evaluator", evaluate),
        EmbeddedService("receipt-signer", sign),
        EmbeddedService("audit-sink", sink_),
    )
