"""Request/reply over the bus: batched XADDs out, one reader task resolving replies in.

Each gateway worker owns one reply stream (``vectimus:reply:<gateway id>``), kept alive by
refreshing an expiry on it: the stream of a worker that died vanishes a few minutes later
(no evaluator replies that late: a request past its deadline is left alone). Requests
submitted during one event-loop tick go out in a single ``publish_many`` round trip, and one
reader task per worker reads the reply stream and resolves the waiting futures by request
id. The reader survives connection errors, resumes from the last id it saw, and is stopped
by a flag (a cancel can surface as a connection error inside the client library).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable

import msgspec
import structlog

from vectimus.core.bus import Bus
from vectimus.core.bus.messages import EVAL_STREAM, EvalReply, decode, maxlen_for

log = structlog.get_logger("vectimus.gateway.replies")

_READ_COUNT = 512
_READ_BLOCK_MS = 1000
_MAX_BACKOFF_S = 2.0
REPLY_STREAM_TTL_S = 300.0


class BusUnavailableError(Exception):
    """The request could not be handed to the bus (it was never published)."""


class ReplyRouter:
    """Futures by request id, resolved by the one task that reads this worker's reply stream."""

    def __init__(
        self,
        bus: Bus,
        stream: str,
        *,
        on_error: Callable[[], None] | None = None,
        ttl_s: float = REPLY_STREAM_TTL_S,
    ) -> None:
        self.bus = bus
        self.stream = stream
        self.ttl_s = ttl_s
        self._refreshed = float("-inf")
        self._pending: dict[str, asyncio.Future[EvalReply]] = {}
        self._last_id = "0"  # the stream is this worker's own: everything on it is ours
        self._stopping = False
        self._task: asyncio.Task[None] | None = None
        self._on_error = on_error
        self.connected = False

    @property
    def in_flight(self) -> int:
        return len(self._pending)

    def waiting_for(self, request_id: str) -> bool:
        return request_id in self._pending

    def expect(self, request_id: str) -> asyncio.Future[EvalReply]:
        future: asyncio.Future[EvalReply] = asyncio.get_running_loop().create_future()
        self._pending[request_id] = future
        return future

    def forget(self, request_id: str) -> None:
        future = self._pending.pop(request_id, None)
        if future is not None and not future.done():
            future.cancel()

    def fail(self, request_ids: list[str], error: BaseException) -> None:
        for request_id in request_ids:
            future = self._pending.get(request_id)
            if future is not None and not future.done():
                future.set_exception(error)

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name=f"replies:{self.stream}")

    async def stop(self) -> None:
        """Set the flag, then cancel the read in progress (it may block for a second)."""
        self._stopping = True
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        for future in self._pending.values():
            if not future.done():
                future.set_exception(BusUnavailableError("the gateway is shutting down"))
        self._pending.clear()

    async def _run(self) -> None:
        backoff = 0.05
        while not self._stopping:
            try:
                found = await self.bus.read(
                    {self.stream: self._last_id}, count=_READ_COUNT, block_ms=_READ_BLOCK_MS
                )
            except Exception as exc:  # noqa: BLE001 - keep reading whatever the transport did
                self.connected = False
                if self._stopping:
                    break
                log.warning("reply stream read failed", error=repr(exc), retry_in_s=backoff)
                if self._on_error is not None:
                    self._on_error()
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, _MAX_BACKOFF_S)
                continue
            self.connected = True
            backoff = 0.05
            await self._keep_alive()
            for delivery in found.get(self.stream, ()):
                self._last_id = delivery.id
                self._resolve(delivery.payload)

    async def _keep_alive(self) -> None:
        """Push the stream's expiry out, a few times per TTL (the stream exists once the
        first reply came; before that there is nothing to expire)."""
        now = asyncio.get_running_loop().time()
        if now - self._refreshed < self.ttl_s / 4:
            return
        try:
            exists = await self.bus.expire_stream(self.stream, ttl_s=self.ttl_s)
        except Exception as exc:  # noqa: BLE001 - the next read reports the bus's state
            log.debug("reply stream expiry not refreshed", error=repr(exc))
            return
        if exists:
            self._refreshed = now

    def _resolve(self, payload: bytes) -> None:
        try:
            reply = decode(payload, EvalReply)
        except (msgspec.DecodeError, msgspec.ValidationError) as exc:
            log.error("malformed reply on the reply stream", error=str(exc))
            return
        future = self._pending.pop(reply.request_id, None)
        if future is not None and not future.done():
            future.set_result(reply)


class RequestPublisher:
    """Collects requests and XADDs them in batches: one round trip per event-loop tick.

    While one batch is on its way, the next one fills up, so under load a batch holds every
    request that arrived during a round trip.
    """

    def __init__(self, bus: Bus, router: ReplyRouter, *, stream: str = EVAL_STREAM) -> None:
        self.bus = bus
        self.router = router
        self.stream = stream
        self._batch: list[tuple[str, bytes]] = []
        self._wake = asyncio.Event()
        self._stopping = False
        self._task: asyncio.Task[None] | None = None
        self.batches = 0
        self.published = 0

    def submit(self, request_id: str, payload: bytes) -> None:
        if self._stopping:
            self.router.fail([request_id], BusUnavailableError("the gateway is shutting down"))
            return
        self._batch.append((request_id, payload))
        self._wake.set()

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="eval-publisher")

    async def stop(self) -> None:
        self._stopping = True
        self._wake.set()
        if self._task is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _run(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            batch, self._batch = self._batch, []
            if batch:
                await self._flush(batch)
            if self._stopping and not self._batch:
                return

    async def _flush(self, batch: list[tuple[str, bytes]]) -> None:
        try:
            await self.bus.publish_many(
                self.stream, [payload for _, payload in batch], maxlen=maxlen_for(self.stream)
            )
        except Exception as exc:  # noqa: BLE001 - the waiting requests fall back, never hang
            log.warning("could not publish evaluation requests", error=repr(exc), count=len(batch))
            self.router.fail([rid for rid, _ in batch], BusUnavailableError(repr(exc)))
            return
        self.batches += 1
        self.published += len(batch)
