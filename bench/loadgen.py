"""A small HTTP/1.1 load generator: N keep-alive connections, each one request at a time.

Raw asyncio streams, no HTTP library: the client must cost less than the server it loads.
Latency is per request, from the first byte written to the last byte of the answer read.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import Sequence
from dataclasses import dataclass, field


@dataclass
class Result:
    latencies_ms: list[float] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)
    errors: int = 0
    seconds: float = 0.0

    @property
    def rps(self) -> float:
        return len(self.latencies_ms) / self.seconds if self.seconds else 0.0


def request_bytes(host: str, port: int, path: str, body: bytes, headers: dict[str, str]) -> bytes:
    lines = [
        f"POST {path} HTTP/1.1",
        f"Host: {host}:{port}",
        "Content-Type: application/json",
        f"Content-Length: {len(body)}",
        *(f"{k}: {v}" for k, v in headers.items()),
    ]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


async def read_answer(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    """The status and body of one answer (the server must send Content-Length)."""
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head[9:12])
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    body = await reader.readexactly(length) if length else b""
    return status, body


async def _connection(
    host: str,
    port: int,
    requests: Sequence[bytes],
    *,
    offset: int,
    stop_at: float,
    record_from: float,
    result: Result,
) -> None:
    reader, writer = await asyncio.open_connection(host, port)
    start = offset % len(requests)
    cycle = itertools.cycle([*requests[start:], *requests[:start]])
    try:
        while True:
            now = time.perf_counter()
            if now >= stop_at:
                return
            writer.write(next(cycle))
            try:
                status, _ = await read_answer(reader)
            except (asyncio.IncompleteReadError, ConnectionError):
                result.errors += 1
                writer.close()
                reader, writer = await asyncio.open_connection(host, port)
                continue
            if now >= record_from:
                result.latencies_ms.append((time.perf_counter() - now) * 1000)
                result.statuses[status] = result.statuses.get(status, 0) + 1
    finally:
        writer.close()


async def run_load(
    host: str,
    port: int,
    requests: Sequence[bytes],
    *,
    concurrency: int,
    seconds: float,
    warmup_s: float = 0.5,
) -> Result:
    result = Result()
    start = time.perf_counter()
    record_from = start + warmup_s
    stop_at = record_from + seconds
    await asyncio.gather(
        *(
            _connection(
                host,
                port,
                requests,
                offset=n,
                stop_at=stop_at,
                record_from=record_from,
                result=result,
            )
            for n in range(concurrency)
        )
    )
    result.seconds = seconds
    return result
