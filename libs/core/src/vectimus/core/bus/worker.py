"""The consume loop every stream worker shares: read, handle, acknowledge; reclaim; retire.

1. XREADGROUP a batch and hand it to the service; acknowledge (and delete) what it finished.
   What it could not finish stays pending, and is retried once it has been idle for
   ``claim_idle_ms``: the periodic XAUTOCLAIM takes it over, from this worker or from a dead
   one. Every delivery is counted; past ``max_deliveries`` the service gets a last word
   (:meth:`Service.give_up`: the evaluator answers deny) and the entry goes to the
   dead-letter stream. Entries that cannot even be decoded go there at once.
2. A lost connection (Redis restarted, network gone) is retried with backoff, then the group
   is made again if it vanished, and the loop resumes. Nothing is lost that Redis kept.
3. A heartbeat value, refreshed every second with a short TTL, says this worker is alive.
4. ``stop`` set (SIGTERM): no more reads; the batch in hand finishes within
   ``drain_timeout_s`` or is cancelled (its entries stay pending for another worker).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import socket
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

from vectimus.core.bus.contract import Bus, BusUnavailable, Delivery, NoGroupError
from vectimus.core.bus.messages import DEAD_STREAM, HEARTBEAT_PREFIX, DeadLetter, encode, maxlen_for
from vectimus.core.bus.settings import WorkerSettings
from vectimus.core.logs import get_logger, safe_error

_MAX_BACKOFF_S = 5.0
_ERRORS_KEPT = 10_000


@dataclass
class Outcome:
    """What a service did with a batch. Ids in neither list stay pending (retried later)."""

    done: list[str] = field(default_factory=list)
    """Handled: acknowledged and deleted."""
    dead: dict[str, DeadLetter | str] = field(default_factory=dict)
    """Cannot ever be handled (undecodable): dead-lettered, then acknowledged."""
    failed: dict[str, str] = field(default_factory=dict)
    """Failed this time (left pending); the error is kept for the dead letter."""


class Service(Protocol):
    """One service's part in the loop; everything else is :class:`Worker`'s."""

    name: str
    stream: str
    group: str

    async def handle(self, deliveries: Sequence[Delivery]) -> Outcome: ...

    async def give_up(self, delivery: Delivery, error: str) -> None:
        """The last word before ``delivery`` is dead-lettered (may publish; may raise)."""
        ...

    def describe(self) -> dict[str, Any]:
        """Extra fields of the heartbeat (counts, the policy set hash)."""
        ...


def heartbeat_key(service: str, instance: str) -> str:
    return f"{HEARTBEAT_PREFIX}{service}:{instance}"


def now_ms() -> int:
    return time.time_ns() // 1_000_000


class Worker:
    """Runs one :class:`Service` on a bus until ``stop`` is set."""

    def __init__(self, bus: Bus, service: Service, settings: WorkerSettings) -> None:
        self.bus = bus
        self.service = service
        self.settings = settings
        self.log = get_logger(f"vectimus.{service.name}").bind(
            component=service.name, consumer=settings.consumer
        )
        self.started_at = datetime.now(UTC).isoformat()
        self.connected = False
        self.stats = {"handled": 0, "failed": 0, "dead_lettered": 0, "reclaimed": 0}
        self._errors: dict[str, str] = {}

    @property
    def heartbeat_key(self) -> str:
        return heartbeat_key(self.service.name, self.settings.consumer)

    async def run(self, stop: asyncio.Event) -> None:
        self.log.info("worker starting", stream=self.service.stream, group=self.service.group)
        beating = asyncio.Event()
        heartbeat = asyncio.create_task(self._heartbeats(beating), name="heartbeat")
        consume = asyncio.create_task(self._consume(stop), name=f"consume:{self.service.name}")
        stopped = asyncio.create_task(stop.wait(), name="stop")
        try:
            await asyncio.wait({consume, stopped}, return_when=asyncio.FIRST_COMPLETED)
            if not consume.done():
                self.log.info("stopping: draining", timeout_s=self.settings.drain_timeout_s)
                try:
                    await asyncio.wait_for(asyncio.shield(consume), self.settings.drain_timeout_s)
                except TimeoutError:
                    self.log.warning("drain deadline passed: cancelling in-flight work")
                    consume.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await consume  # re-raises a crash of the loop itself
        finally:
            # Also when run() itself is cancelled: nothing of this worker outlives it.
            stopped.cancel()
            beating.set()
            for task in (consume, heartbeat):
                if not task.done():
                    task.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
            with contextlib.suppress(Exception):
                async with asyncio.timeout(1.0):
                    await self.bus.delete_value(self.heartbeat_key)
            self.log.info("worker stopped", **self.stats)

    # --- the loop ----------------------------------------------------------------------

    async def _consume(self, stop: asyncio.Event) -> None:
        settings, service = self.settings, self.service
        backoff = 0.1
        ready = False
        last_reclaim = float("-inf")
        while not stop.is_set():
            try:
                if not ready:
                    await self.bus.ensure_group(service.stream, service.group, start="0")
                    ready = True
                    if not self.connected:
                        self.log.info("connected", stream=service.stream)
                    self.connected = True
                    await self._beat()  # alive as soon as it can work, not a second later
                if time.monotonic() - last_reclaim >= settings.reclaim_interval_s:
                    last_reclaim = time.monotonic()
                    await self._reclaim()
                batch = await self.bus.read_group(
                    service.stream,
                    service.group,
                    settings.consumer,
                    count=settings.batch_size,
                    block_ms=settings.block_ms,
                )
                if batch:
                    await self._process(batch)
                    if len(batch) < settings.batch_size and settings.gather_ms:
                        await _sleep_unless(stop, settings.gather_ms / 1000)
                backoff = 0.1
            except NoGroupError:
                self.log.warning("consumer group missing: creating it again")
                ready = False
            except BusUnavailable as exc:
                if self.connected:
                    self.log.error("bus unavailable: retrying", error=safe_error(exc))
                self.connected, ready = False, False
                await _sleep_unless(stop, backoff)
                backoff = min(backoff * 2, _MAX_BACKOFF_S)
            except Exception as exc:
                # A write the bus refused (Redis out of memory, read-only replica), or a last
                # word that failed: what was read stays pending, and the loop goes on.
                self.log.exception("worker step failed: retrying", error=safe_error(exc))
                await _sleep_unless(stop, backoff)
                backoff = min(backoff * 2, _MAX_BACKOFF_S)

    async def _reclaim(self) -> None:
        settings, service = self.settings, self.service
        claimed = await self.bus.claim_stale(
            service.stream,
            service.group,
            settings.consumer,
            min_idle_ms=settings.claim_idle_ms,
            count=settings.batch_size,
        )
        if claimed:
            self.stats["reclaimed"] += len(claimed)
            self.log.info("reclaimed stale entries", count=len(claimed))
            await self._process(claimed)

    async def _process(self, deliveries: Sequence[Delivery]) -> None:
        limit = self.settings.max_deliveries
        fresh = [d for d in deliveries if d.deliveries <= limit]
        dead: dict[str, DeadLetter | str] = {}
        for delivery in deliveries:
            if delivery.deliveries > limit:
                error = self._errors.get(delivery.id, "no error recorded (consumer died?)")
                error = f"gave up after {delivery.deliveries - 1} deliveries: {error}"
                await self.service.give_up(delivery, error)
                dead[delivery.id] = error
        outcome = Outcome()
        if fresh:
            try:
                outcome = await self.service.handle(fresh)
            except BusUnavailable:
                raise
            except Exception as exc:
                error = safe_error(exc)
                self.log.exception("batch failed: left pending for retry", error=error)
                outcome = Outcome(failed={d.id: error for d in fresh})
        dead.update(outcome.dead)
        for entry_id, error in outcome.failed.items():
            self._remember(entry_id, error)
        if dead:
            await self._dead_letter(deliveries, dead)
        finished = [*outcome.done, *dead]
        if finished:
            await self.bus.ack(self.service.stream, self.service.group, finished, delete=True)
        for entry_id in finished:
            self._errors.pop(entry_id, None)
        self.stats["handled"] += len(outcome.done)
        self.stats["failed"] += len(outcome.failed)
        self.stats["dead_lettered"] += len(dead)

    def _remember(self, entry_id: str, error: str) -> None:
        if len(self._errors) >= _ERRORS_KEPT:
            self._errors.pop(next(iter(self._errors)))
        self._errors[entry_id] = error

    async def _dead_letter(
        self, deliveries: Sequence[Delivery], dead: dict[str, DeadLetter | str]
    ) -> None:
        by_id = {d.id: d for d in deliveries}
        letters = []
        for entry_id, found in dead.items():
            delivery = by_id[entry_id]
            letter = found if isinstance(found, DeadLetter) else self.letter(delivery, found)
            letters.append((DEAD_STREAM, encode(letter), maxlen_for(DEAD_STREAM)))
            self.log.error(
                "dead-lettered",
                entry_id=entry_id,
                deliveries=delivery.deliveries,
                error=letter.error,
                request_id=letter.request_id,
                receipt_id=letter.receipt_id,
            )
        await self.bus.publish_batch(letters)

    def letter(
        self, delivery: Delivery, error: str, *, request_id: str = "", receipt_id: str = ""
    ) -> DeadLetter:
        return DeadLetter(
            stream=self.service.stream,
            group=self.service.group,
            entry_id=delivery.id,
            payload=delivery.payload,
            error=error,
            deliveries=delivery.deliveries,
            service=self.service.name,
            consumer=self.settings.consumer,
            at_ms=now_ms(),
            request_id=request_id,
            receipt_id=receipt_id,
        )

    # --- heartbeats ----------------------------------------------------------------------

    def heartbeat(self) -> bytes:
        info = {
            "service": self.service.name,
            "instance": self.settings.consumer,
            "host": socket.gethostname(),
            "pid": os.getpid(),
            "started_at": self.started_at,
            "beat_at_ms": now_ms(),
            **self.stats,
            **self.service.describe(),
        }
        return json.dumps(info, separators=(",", ":")).encode()

    async def _beat(self) -> None:
        try:
            await self.bus.set_value(
                self.heartbeat_key, self.heartbeat(), ttl_s=self.settings.heartbeat_ttl_s
            )
        except Exception as exc:  # noqa: BLE001 - the consume loop reports the bus state
            self.log.debug("heartbeat not sent", error=safe_error(exc))

    async def _heartbeats(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            if self.connected:
                await self._beat()
            await _sleep_unless(stop, self.settings.heartbeat_interval_s)


async def _sleep_unless(stop: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), seconds)
