"""Running the three services for a test, and playing the gateway's part against them."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
import uuid
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from vectimus.audit_sink.main import run as run_sink
from vectimus.audit_sink.settings import AuditSinkSettings
from vectimus.core.audit.reader import query
from vectimus.core.audit.record import AuditRecord
from vectimus.core.bus import Bus
from vectimus.core.bus.messages import (
    EVAL_STREAM,
    EVENTS_STREAM,
    HEARTBEAT_PREFIX,
    EvalReply,
    EvalRequest,
    EventRecord,
    decode,
    encode,
)
from vectimus.core.receipts.chain import verify_chain
from vectimus.core.receipts.keys import Keyring
from vectimus.core.receipts.store import iter_receipts
from vectimus.evaluator.main import run as run_evaluator
from vectimus.evaluator.settings import EvaluatorSettings
from vectimus.receipt_signer.main import run as run_signer
from vectimus.receipt_signer.settings import ReceiptSignerSettings

REPLY_STREAM = "vectimus:reply:test-gateway"
FAST = {
    "block_ms": 50,
    "claim_idle_ms": 600,
    "reclaim_interval_s": 0.2,
    "heartbeat_interval_s": 0.2,
    "max_deliveries": 3,
    "drain_timeout_s": 3,
}


def bash(command: str) -> bytes:
    return json.dumps(
        {"cwd": "/w", "tool_name": "Bash", "tool_input": {"command": command}}
    ).encode()


def eval_request(
    payload: bytes, *, request_id: str | None = None, caller: str = "ci"
) -> EvalRequest:
    return EvalRequest(
        request_id=request_id or uuid.uuid4().hex,
        reply_to=REPLY_STREAM,
        source="claude-code",
        payload=payload,
        caller=caller,
    )


@dataclass
class Services:
    """The three run() functions as tasks on one bus; directories under ``root``."""

    bus: Bus
    root: Path
    stop: asyncio.Event = field(default_factory=asyncio.Event)
    tasks: list[asyncio.Task[None]] = field(default_factory=list)

    @property
    def audit_dir(self) -> Path:
        return self.root / "audit"

    @property
    def receipts_dir(self) -> Path:
        return self.root / "receipts"

    def start(self, *, evaluator: bool = True, signer: bool = True, sink: bool = True) -> Services:
        if evaluator:
            settings = EvaluatorSettings(consumer="ev-inproc", **FAST)
            self.tasks.append(asyncio.create_task(run_evaluator(self.bus, settings, self.stop)))
        if signer:
            signing = ReceiptSignerSettings(consumer="signer-1", **FAST)
            self.tasks.append(asyncio.create_task(run_signer(self.bus, signing, self.stop)))
        if sink:
            sinking = AuditSinkSettings(
                consumer="sink-1", audit_dir=self.audit_dir, receipts_dir=self.receipts_dir, **FAST
            )
            self.tasks.append(asyncio.create_task(run_sink(self.bus, sinking, self.stop)))
        return self

    async def close(self, timeout_s: float = 10.0) -> None:
        """Stop every service (they drain); a service that does not stop in time fails."""
        self.stop.set()
        done, pending = (
            await asyncio.wait(self.tasks, timeout=timeout_s) if self.tasks else ((), ())
        )
        for task in pending:
            task.cancel()
        self.tasks = []
        assert not pending, f"{len(pending)} service(s) did not stop within {timeout_s} s"
        errors = [t.exception() for t in done if not t.cancelled() and t.exception()]
        assert not errors, errors

    def audit_records(self) -> list[AuditRecord]:
        if not self.audit_dir.is_dir():
            return []
        return list(query(self.audit_dir))

    def chain_ok(self, keyring: Keyring) -> list[str]:
        report = verify_chain(list(iter_receipts(self.receipts_dir)), keyring)
        return [str(p) for p in report.problems]


async def until(check: Callable[[], Awaitable[bool] | bool], timeout_s: float, what: str) -> None:
    deadline = time.monotonic() + timeout_s
    while True:
        result = check()
        if isinstance(result, Awaitable):
            result = await result
        if result:
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.05)


class Replies:
    """The gateway's reply reader: every reply seen on the reply stream, by request id."""

    def __init__(self, bus: Bus) -> None:
        self.bus = bus
        self.by_request: dict[str, list[EvalReply]] = {}
        self._last = "0"
        self._task: asyncio.Task[None] | None = None
        self._stopping = False

    def start(self) -> Replies:
        self._task = asyncio.create_task(self._run())
        return self

    async def _run(self) -> None:
        while not self._stopping:
            try:
                found = await self.bus.read({REPLY_STREAM: self._last}, count=500, block_ms=100)
            except Exception:  # noqa: BLE001 - the test's reader survives a Redis restart too
                await asyncio.sleep(0.05)
                continue
            for delivery in found.get(REPLY_STREAM, []):
                self._last = delivery.id
                reply = decode(delivery.payload, EvalReply)
                self.by_request.setdefault(reply.request_id, []).append(reply)

    def answered(self, request_ids: Iterable[str]) -> bool:
        return all(r in self.by_request for r in request_ids)

    async def stop(self) -> None:
        self._stopping = True
        if self._task is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self._task


async def send(bus: Bus, requests: list[EvalRequest]) -> list[str]:
    await bus.publish_many(EVAL_STREAM, [encode(r) for r in requests], maxlen=100_000)
    return [r.request_id for r in requests]


async def events(bus: Bus) -> list[EventRecord]:
    found = await bus.read({EVENTS_STREAM: "0"}, count=100_000)
    return [decode(d.payload, EventRecord) for d in found.get(EVENTS_STREAM, [])]


async def alive(bus: Bus, service: str) -> list[str]:
    beats = await bus.values(f"{HEARTBEAT_PREFIX}{service}:")
    return sorted(beats)
