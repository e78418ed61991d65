"""A steady load of uniquely marked calls, every answer kept for the checker.

Each call carries a marker (``chaos-<tag>-<n>``) in its command or path and as its
X-Request-ID, so a call can be followed from the request to its answer, its receipt and its
audit record. Four shapes alternate: an allowed and a denied shell command sent hook-shaped
(``hook_event_name``, so a call that cannot be evaluated must still be a 200 deny), and an
allowed file read and a denied ``terraform destroy`` sent as plain API calls (a 503 is their
fail-closed answer).

The driver keeps ``concurrency`` keep-alive connections, each paced to its share of
``rate``; raw HTTP/1.1 over asyncio streams (bench/loadgen.py), so the client costs little.
A connection that breaks (a gateway worker killed under it) records the call in flight as
unanswered and reconnects.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from bench.loadgen import read_answer, request_bytes

ANSWER_TIMEOUT_S = 15.0


@dataclass(frozen=True)
class Call:
    marker: str
    hook: bool
    expect: str  # what the bundled policies answer: "allow" or "deny"
    body: bytes


def _payload(marker: str, shape: int) -> tuple[dict[str, Any], bool, str]:
    if shape == 0:
        tool, arguments, hook, expect = "Bash", {"command": f"echo {marker}"}, True, "allow"
    elif shape == 1:
        tool, arguments, hook, expect = "Bash", {"command": f"rm -rf / {marker}"}, True, "deny"
    elif shape == 2:
        tool, arguments, hook, expect = "Read", {"file_path": f"/w/{marker}.py"}, False, "allow"
    else:
        command = f"terraform destroy -target={marker}"
        tool, arguments, hook, expect = "Bash", {"command": command}, False, "deny"
    payload: dict[str, Any] = {"session_id": "chaos", "cwd": "/w", "tool_name": tool}
    if hook:
        payload["hook_event_name"] = "PreToolUse"
    payload["tool_input"] = arguments
    return payload, hook, expect


def calls(tag: str) -> Iterator[Call]:
    """An endless series of distinct calls, the four shapes in turn."""
    for n in itertools.count():
        marker = f"chaos-{tag}-{n:06d}"
        payload, hook, expect = _payload(marker, n % 4)
        yield Call(marker, hook, expect, json.dumps(payload).encode())


@dataclass
class Answer:
    """What came back for one call; ``status`` 0 means no HTTP answer (``error`` says why)."""

    call: Call
    sent_at: float
    latency_ms: float = 0.0
    status: int = 0
    error: str = ""
    body: dict[str, Any] = field(default_factory=dict)

    @property
    def decision(self) -> str:
        return str(self.body.get("decision", ""))

    @property
    def receipt_id(self) -> str:
        return str(self.body.get("receipt_id", ""))

    @property
    def degraded(self) -> bool:
        return bool(self.body.get("degraded", False))

    @property
    def reason(self) -> str:
        return str(self.body.get("reason", ""))

    @property
    def hook_decision(self) -> str:
        output = self.body.get("hookSpecificOutput")
        return str(output.get("permissionDecision", "")) if isinstance(output, dict) else ""


class SteadyLoad:
    def __init__(
        self,
        port: int,
        headers: dict[str, str],
        *,
        tag: str,
        rate: float,
        concurrency: int = 8,
    ) -> None:
        self.port = port
        self.headers = headers
        self.rate = rate
        self.concurrency = concurrency
        self.answers: list[Answer] = []
        self._calls = calls(tag)
        self._started = time.monotonic()

    @property
    def answered(self) -> int:
        return sum(1 for a in self.answers if a.status)

    async def run(self, stop: asyncio.Event) -> None:
        """Send until ``stop`` is set; every call sent has its :class:`Answer` on return."""
        self._started = time.monotonic()
        await asyncio.gather(*(self._connection(stop) for _ in range(self.concurrency)))

    async def _open(
        self, stop: asyncio.Event
    ) -> tuple[asyncio.StreamReader, asyncio.StreamWriter] | None:
        while not stop.is_set():
            try:
                return await asyncio.open_connection("127.0.0.1", self.port)
            except OSError:
                await asyncio.sleep(0.05)
        return None

    async def _connection(self, stop: asyncio.Event) -> None:
        loop = asyncio.get_running_loop()
        interval = self.concurrency / self.rate
        next_at = loop.time()
        stream = await self._open(stop)
        while stream is not None and not stop.is_set():
            reader, writer = stream
            call = next(self._calls)
            answer = Answer(call, sent_at=time.monotonic() - self._started)
            self.answers.append(answer)
            headers = {**self.headers, "X-Request-ID": call.marker}
            started = time.perf_counter()
            try:
                writer.write(request_bytes("127.0.0.1", self.port, "/evaluate", call.body, headers))
                status, body = await asyncio.wait_for(read_answer(reader), ANSWER_TIMEOUT_S)
            except (OSError, asyncio.IncompleteReadError, TimeoutError) as exc:
                answer.error = type(exc).__name__
                writer.close()
                stream = await self._open(stop)
            else:
                answer.status = status
                try:
                    answer.body = json.loads(body)
                except ValueError:
                    answer.error = "the answer is not JSON"
            answer.latency_ms = (time.perf_counter() - started) * 1000
            next_at = max(next_at + interval, loop.time())
            await asyncio.sleep(next_at - loop.time())
        if stream is not None:
            stream[1].close()
