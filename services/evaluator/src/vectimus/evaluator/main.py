"""The evaluator service: eval requests in (group "evaluators"), replies and decisions out.

Per batch: decode the requests, decide them in a worker thread (Cedar holds the GIL, so the
event loop keeps its heartbeats), XADD every reply and every decision in one round trip,
then acknowledge. A request past its deadline is acknowledged unanswered: its gateway has
stopped waiting and answered it in-process. The policy files are checked every few seconds
and reloaded when they change; a reload that fails keeps the policies in force.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import msgspec

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
from vectimus.core.bus.worker import Outcome, Worker, now_ms
from vectimus.core.logs import bind_ids, get_logger, safe_error
from vectimus.core.runtime import Runtime, server_environment, server_runtime
from vectimus.core.snapshot import Snapshot, dependency
from vectimus.evaluator.handler import Answer, Evaluation, answer, refusal
from vectimus.evaluator.settings import EvaluatorSettings

SERVICE = "evaluator"
log = get_logger("vectimus.evaluator").bind(component=SERVICE)


def policy_environment(settings: EvaluatorSettings) -> dict[str, str]:
    """The environment the core config loader sees: the service's options win."""
    return server_environment(os.environ, policy_dir=settings.policy_dir, observe=settings.observe)


def load_runtime(settings: EvaluatorSettings) -> Runtime:
    """Config and policies for a server, loaded exactly as the gateway loads its own copy.

    Raises VectimusError (PolicyLoadError, ConfigError) naming the file and problem."""
    return server_runtime(policy_environment(settings))


def evaluation_of(runtime: Runtime, evaluator: str) -> Evaluation:
    compiled = runtime.snapshot.compiled
    return Evaluation(
        engine=runtime.pipeline.engine,
        limits=runtime.pipeline.limits,
        policy_set_hash=compiled.policy_set_hash,
        pack_versions=dict(compiled.packs),
        evaluator=evaluator,
    )


def _changed(snapshot: Snapshot) -> bool:
    return any(dependency(Path(dep[0])) != tuple(dep) for dep in snapshot.deps)


class EvaluatorService:
    name = SERVICE
    stream = EVAL_STREAM
    group = EVALUATOR_GROUP

    def __init__(self, bus: Bus, settings: EvaluatorSettings, runtime: Runtime) -> None:
        self.bus = bus
        self.settings = settings
        self.runtime = runtime
        self.evaluation = evaluation_of(runtime, settings.consumer)
        self.expired = 0
        self.reload_error = ""

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
            answers = await asyncio.to_thread(self._answer_all, self.evaluation, requests)
            await self._publish(answers)
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
        }

    # --- internals -------------------------------------------------------------------------

    @staticmethod
    def _answer_all(
        evaluation: Evaluation, requests: list[tuple[str, EvalRequest]]
    ) -> list[Answer]:
        answers = []
        for entry_id, request in requests:
            try:
                found = answer(request, entry_id, evaluation)
            except Exception as exc:
                with bind_ids(request_id=request.request_id):
                    log.exception("evaluation failed: answered deny", error=safe_error(exc))
                found = refusal(
                    request, entry_id, evaluation, f"internal error: {type(exc).__name__}"
                )
            answers.append(found)
        return answers

    async def _publish(self, answers: Sequence[Answer]) -> None:
        items: list[tuple[str, bytes, int | None]] = []
        for found in answers:
            items.append((found.reply_to, encode(found.reply), maxlen_for(found.reply_to)))
        for found in answers:
            items.append((DECISIONS_STREAM, encode(found.record), maxlen_for(DECISIONS_STREAM)))
        await self.bus.publish_batch(items)

    async def watch_policies(self, stop: asyncio.Event) -> None:
        """Reload the policies when a file they were built from changes."""
        while not stop.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), self.settings.reload_interval_s)
            if stop.is_set() or not await asyncio.to_thread(_changed, self.runtime.snapshot):
                continue
            try:
                runtime = await asyncio.to_thread(load_runtime, self.settings)
            except Exception as exc:  # noqa: BLE001 - keep evaluating with what is loaded
                self.reload_error = safe_error(exc)
                log.error("policy reload failed: the loaded policies stay", error=self.reload_error)
                continue
            self.runtime, self.reload_error = runtime, ""
            self.evaluation = evaluation_of(runtime, self.settings.consumer)
            log.info("policies reloaded", policy_set_hash=runtime.snapshot.compiled.policy_set_hash)


def _expired(request: EvalRequest) -> bool:
    """Past ``deadline_ms`` (Unix ms; 0: none). A value too small to be a time is ignored."""
    return request.deadline_ms > 10**12 and now_ms() > request.deadline_ms


async def run(
    bus: Bus,
    settings: EvaluatorSettings,
    stop: asyncio.Event,
    *,
    runtime: Runtime | None = None,
) -> None:
    """Evaluate requests from ``bus`` until ``stop`` is set, then drain.

    ``runtime`` (the embedded server passes its own) skips loading the policies here;
    otherwise they are loaded from ``settings`` and a failure raises before any work."""
    if runtime is None:
        runtime = await asyncio.to_thread(load_runtime, settings)
    service = EvaluatorService(bus, settings, runtime)
    watcher = asyncio.create_task(service.watch_policies(stop), name="policy-watch")
    try:
        await Worker(bus, service, settings).run(stop)
    finally:
        watcher.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await watcher
