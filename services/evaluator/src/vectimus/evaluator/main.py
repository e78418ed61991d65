"""The evaluator service: eval requests in (group "evaluators"), replies and decisions out.

Per batch: decode the requests, count their sessions and decide them
(:mod:`vectimus.evaluator.batch`), XADD every reply and every decision in one round trip,
then acknowledge. A request past its deadline is acknowledged unanswered: its gateway has
stopped waiting and answered it in-process. The policy files are checked every few seconds
(at once when another process announces a new set, and after a new bundle is fetched) and
reloaded when they change; a reload that fails keeps the policies in force
(:mod:`vectimus.core.bundles.follow`).
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Sequence
from typing import Any

import msgspec

from vectimus.core.bundles.follow import Follower, install_first
from vectimus.core.bus import Bus, Delivery
from vectimus.core.bus.messages import (
    DECISIONS_STREAM,
    EVAL_STREAM,
    EVALUATOR_GROUP,
    REPLY_STREAM_PREFIX,
    EvalRequest,
    decode,
    encode,
    maxlen_for,
)
from vectimus.core.bus.redis import RedisBus
from vectimus.core.bus.worker import Outcome, Worker, now_ms
from vectimus.core.logs import bind_ids, get_logger, safe_error
from vectimus.core.runtime import Runtime, server_environment, server_runtime
from vectimus.core.sessions import SessionCounter
from vectimus.core.sessions.memory import MemorySessionCounter
from vectimus.core.sessions.redis import RedisSessionCounter
from vectimus.core.snapshot import is_stale
from vectimus.evaluator.batch import answers_of
from vectimus.evaluator.handler import Answer, Evaluation, refusal
from vectimus.evaluator.settings import EvaluatorSettings

SERVICE = "evaluator"
_FLUSH_EVERY_S = 0.002
log = get_logger("vectimus.evaluator").bind(component=SERVICE)


def policy_environment(settings: EvaluatorSettings) -> dict[str, str]:
    """The environment the core config loader sees: the service's options win."""
    return server_environment(os.environ, policy_dir=settings.policy_dir, observe=settings.observe)


def load_runtime(settings: EvaluatorSettings) -> Runtime:
    """Config and policies for a server, loaded exactly as the gateway loads its own copy.

    Raises VectimusError (PolicyLoadError, ConfigError) naming the file and problem."""
    return server_runtime(policy_environment(settings))


async def first_runtime(settings: EvaluatorSettings) -> Runtime:
    """The policies to start with. With ``[policies] bundle_url`` the bundle is fetched
    first, so an evaluator on a fresh host starts on it. Raises like :func:`load_runtime`."""
    if settings.poll_bundle:
        await install_first(policy_environment(settings))
    return await asyncio.to_thread(load_runtime, settings)


def evaluation_of(runtime: Runtime, evaluator: str) -> Evaluation:
    compiled = runtime.snapshot.compiled
    return Evaluation(
        engine=runtime.pipeline.engine,
        limits=runtime.pipeline.limits,
        policy_set_hash=compiled.policy_set_hash,
        pack_versions=dict(compiled.packs),
        evaluator=evaluator,
    )


class EvaluatorService:
    name = SERVICE
    stream = EVAL_STREAM
    group = EVALUATOR_GROUP

    def __init__(
        self, bus: Bus, settings: EvaluatorSettings, runtime: Runtime, sessions: SessionCounter
    ) -> None:
        self.bus = bus
        self.settings = settings
        self.runtime = runtime
        self.sessions = sessions
        self.evaluation = evaluation_of(runtime, settings.consumer)
        self.expired = 0
        self.reload_error = ""
        self.follower: Follower | None = None
        self.loaded_at = now_ms()

    # --- the Service protocol --------------------------------------------------------------

    async def handle(self, deliveries: Sequence[Delivery]) -> Outcome:
        outcome = Outcome()
        requests: list[tuple[str, EvalRequest]] = []
        for delivery in deliveries:
            try:
                request = decode(delivery.payload, EvalRequest)
            except (msgspec.DecodeError, msgspec.ValidationError) as exc:
                outcome.dead[delivery.id] = f"undecodable EvalRequest: {exc}"
                continue
            if not request.reply_to.startswith(REPLY_STREAM_PREFIX):
                outcome.dead[delivery.id] = (
                    f"reply_to {request.reply_to[:100]!r} is not a reply stream"
                )
            elif _expired(request):
                self.expired += 1
                with bind_ids(request_id=request.request_id):
                    log.warning(
                        "request past its deadline: left to its gateway", entry_id=delivery.id
                    )
                outcome.done.append(delivery.id)
            else:
                requests.append((delivery.id, request))
        if requests:
            # Replies go out every few milliseconds of evaluation, not when the whole batch
            # is done: the first request of a large batch need not wait for the last. The
            # evaluation goes on while they travel; the batch is finished (and acknowledged)
            # once every one of them is on the bus.
            loop = asyncio.get_running_loop()
            answers: list[Answer] = []
            sent: list[asyncio.Future[None]] = []
            flushed = loop.time()
            try:
                async for found in answers_of(self.evaluation, requests, self.sessions):
                    answers.append(found)
                    if loop.time() - flushed >= _FLUSH_EVERY_S:
                        sent.append(asyncio.ensure_future(self._publish(answers)))
                        answers, flushed = [], loop.time()
            except BaseException:
                for sending in sent:  # the batch stays pending: it is evaluated again
                    sending.cancel()
                raise
            sent.append(asyncio.ensure_future(self._publish(answers)))
            await asyncio.gather(*sent)  # the first failure leaves the batch pending
            outcome.done.extend(entry_id for entry_id, _ in requests)
        return outcome

    async def give_up(self, delivery: Delivery, error: str) -> None:
        """A request that keeps failing still gets an answer: deny, naming the failure."""
        try:
            request = decode(delivery.payload, EvalRequest)
        except (msgspec.DecodeError, msgspec.ValidationError):
            return
        if not request.reply_to.startswith(REPLY_STREAM_PREFIX) or _expired(request):
            return
        found = refusal(request, delivery.id, self.evaluation, f"evaluation failed ({error})")
        await self._publish([found])

    def describe(self) -> dict[str, Any]:
        snapshot = self.runtime.snapshot
        return {
            "policy_set_hash": snapshot.compiled.policy_set_hash,
            "rules": len(snapshot.compiled.rules),
            "observe": snapshot.observe,
            "expired": self.expired,
            "reload_error": self.reload_error,
            # The acknowledgement of a policy swap: which set, from where, since when.
            "policy_source": snapshot.policy_source.origin or snapshot.policy_source.location,
            "policy_signer": snapshot.policy_source.signer,
            "policy_loaded_at_ms": self.loaded_at,
            "bundle_error": self.follower.error if self.follower is not None else "",
        }

    # --- internals -------------------------------------------------------------------------

    async def _publish(self, answers: Sequence[Answer]) -> None:
        items: list[tuple[str, bytes, int | None]] = []
        for found in answers:
            items.append((found.reply_to, encode(found.reply), maxlen_for(found.reply_to)))
        for found in answers:
            items.append((DECISIONS_STREAM, encode(found.record), maxlen_for(DECISIONS_STREAM)))
        await self.bus.publish_batch(items)

    async def reload_policies(self) -> bool:
        """Reload the policies if a file they were built from changed; True when another
        policy set is in force. The runtime is loaded and validated in a thread, then swapped
        in by replacing one reference, which each batch reads once: a request sees the old
        runtime or the new one, never parts of both."""
        if not await asyncio.to_thread(is_stale, self.runtime.snapshot):
            return False
        try:
            runtime = await asyncio.to_thread(load_runtime, self.settings)
        except Exception as exc:  # noqa: BLE001 - keep evaluating with what is loaded
            self.reload_error = safe_error(exc)
            log.error("policy reload failed: the loaded policies stay", error=self.reload_error)
            return False
        previous = self.runtime.snapshot.compiled.policy_set_hash
        self.runtime, self.reload_error = runtime, ""
        self.evaluation = evaluation_of(runtime, self.settings.consumer)
        policy_set_hash = runtime.snapshot.compiled.policy_set_hash
        log.info("policies reloaded", policy_set_hash=policy_set_hash)
        if policy_set_hash == previous:
            return False  # the same rules, another configuration (overrides, observe)
        self.loaded_at = now_ms()
        return True


def _expired(request: EvalRequest) -> bool:
    """Past ``deadline_ms`` (Unix ms; 0: none). A value too small to be a time is ignored."""
    return request.deadline_ms > 10**12 and now_ms() > request.deadline_ms


async def run(
    bus: Bus,
    settings: EvaluatorSettings,
    stop: asyncio.Event,
    *,
    runtime: Runtime | None = None,
    sessions: SessionCounter | None = None,
) -> None:
    """Evaluate requests from ``bus`` until ``stop`` is set, then drain.

    ``runtime`` (the embedded server passes its own) skips loading the policies here;
    otherwise they are loaded from ``settings`` and a failure raises before any work.
    ``sessions`` (the embedded server shares the gateway's) counts the calls of each session;
    by default they are counted in the Redis the bus runs on, else in this process."""
    follower = Follower(
        bus=bus,
        service=SERVICE,
        instance=settings.consumer,
        kind="ack",
        environ=policy_environment(settings),
        poll=settings.poll_bundle,
    )
    if runtime is None:
        runtime = await first_runtime(settings)
    counter = sessions if sessions is not None else session_counter(bus)
    service = EvaluatorService(bus, settings, runtime, counter)
    service.follower = follower
    policy_stop = asyncio.Event()
    follower.start(
        policy_stop,
        interval_s=settings.reload_interval_s,
        reload=service.reload_policies,
        current=lambda: service.runtime,
    )
    try:
        await Worker(bus, service, settings).run(stop)
    finally:
        policy_stop.set()  # the policy tasks end with the worker, also when it crashed
        await follower.join()


def session_counter(bus: Bus) -> SessionCounter:
    """Where a server counts sessions: in Redis, shared by every evaluator and gateway, or in
    this process when the bus is the in-process one (embedded mode)."""
    if isinstance(bus, RedisBus):
        return RedisSessionCounter(bus)
    return MemorySessionCounter()
