"""The Redis Streams transport: redis.asyncio with hiredis, over a BlockingConnectionPool.

Every entry has one field, ``m``, holding the message bytes. Batches go out pipelined (one
round trip); XADD trims with ``MAXLEN ~``. Connection failures surface as
:class:`BusUnavailable` and a missing consumer group as :class:`NoGroupError`, so a worker
handles both without knowing the client library.

The pool blocks when every connection is busy instead of failing ("Too many connections"
under load with the default pool). Blocking reads are capped below the socket timeout, so
a dead server is noticed within ``socket_timeout`` and a live one never times out a read.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from typing import Any

import redis.asyncio as aioredis
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import ResponseError
from redis.exceptions import TimeoutError as RedisTimeoutError

from vectimus.core.bus.contract import BusUnavailable, Delivery, NoGroupError

FIELD = b"m"
_GLOB_SPECIAL = re.compile(r"([*?\[\]\\])")


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def _deliveries(entries: Sequence[Any] | None) -> list[Delivery]:
    found = []
    for entry_id, fields in entries or ():
        if fields is None:  # deleted while pending (XREADGROUP of history)
            continue
        payload = fields.get(FIELD)
        if payload is not None:
            found.append(Delivery(_text(entry_id), payload))
    return found


def _pairs(found: Any) -> list[tuple[Any, Any]]:
    """XREAD/XREADGROUP replies: ``[[stream, entries], ...]`` (RESP2) or a dict (RESP3)."""
    if not found:
        return []
    if isinstance(found, dict):
        return list(found.items())
    return [(name, entries) for name, entries in found]


@asynccontextmanager
async def _translated() -> AsyncIterator[None]:
    """Client-library errors as bus errors: what a worker must handle, named by the contract."""
    try:
        yield
    except (RedisConnectionError, RedisTimeoutError, ConnectionError, TimeoutError) as exc:
        raise BusUnavailable(f"redis unavailable: {type(exc).__name__}: {exc}") from exc
    except ResponseError as exc:
        if str(exc).startswith("NOGROUP"):
            raise NoGroupError(str(exc)) from exc
        raise


class RedisBus:
    """The bus on one Redis server (or a proxy that speaks the Streams commands)."""

    def __init__(self, client: aioredis.Redis, *, socket_timeout_s: float = 10.0) -> None:
        self.client = client
        self._max_block_ms = max(100, int(socket_timeout_s * 1000) - 1000)
        self._claim_cursors: dict[tuple[str, str, str], str] = {}

    @classmethod
    def from_url(
        cls,
        url: str,
        *,
        max_connections: int = 64,
        pool_timeout_s: float = 5.0,
        socket_timeout_s: float = 10.0,
        connect_timeout_s: float = 2.0,
    ) -> RedisBus:
        pool = aioredis.BlockingConnectionPool.from_url(
            url,
            max_connections=max_connections,
            timeout=pool_timeout_s,
            socket_timeout=socket_timeout_s,
            socket_connect_timeout=connect_timeout_s,
            socket_keepalive=True,
            health_check_interval=30,
            retry=Retry(ExponentialBackoff(cap=0.5, base=0.05), 2),
        )
        return cls(aioredis.Redis(connection_pool=pool), socket_timeout_s=socket_timeout_s)

    def _block(self, block_ms: int | None) -> int | None:
        if block_ms is None:
            return None
        return self._max_block_ms if block_ms == 0 else min(block_ms, self._max_block_ms)

    # --- streams ---------------------------------------------------------------------------

    async def publish(self, stream: str, payload: bytes, *, maxlen: int | None = None) -> str:
        async with _translated():
            entry = await self.client.xadd(stream, {FIELD: payload}, maxlen=maxlen)
        return _text(entry)

    async def publish_many(
        self, stream: str, payloads: Sequence[bytes], *, maxlen: int | None = None
    ) -> list[str]:
        return await self.publish_batch([(stream, payload, maxlen) for payload in payloads])

    async def publish_batch(self, items: Sequence[tuple[str, bytes, int | None]]) -> list[str]:
        if not items:
            return []
        async with _translated(), self.client.pipeline(transaction=False) as pipe:
            for stream, payload, maxlen in items:
                pipe.xadd(stream, {FIELD: payload}, maxlen=maxlen)
            ids = await pipe.execute()
        return [_text(entry) for entry in ids]

    async def read(
        self, streams: dict[str, str], *, count: int = 100, block_ms: int | None = None
    ) -> dict[str, list[Delivery]]:
        async with _translated():
            found = await self.client.xread(
                dict(streams.items()), count=count, block=self._block(block_ms)
            )
        return {_text(name): _deliveries(entries) for name, entries in _pairs(found)}

    async def ensure_group(self, stream: str, group: str, *, start: str = "0") -> None:
        try:
            async with _translated():
                await self.client.xgroup_create(stream, group, id=start, mkstream=True)
        except ResponseError as exc:
            if not str(exc).startswith("BUSYGROUP"):  # the only error that means "done"
                raise

    async def read_group(
        self,
        stream: str,
        group: str,
        consumer: str,
        *,
        count: int = 100,
        block_ms: int | None = None,
    ) -> list[Delivery]:
        async with _translated():
            found = await self.client.xreadgroup(
                group, consumer, {stream: ">"}, count=count, block=self._block(block_ms)
            )
        return [d for _, entries in _pairs(found) for d in _deliveries(entries)]

    async def ack(
        self, stream: str, group: str, ids: Sequence[str], *, delete: bool = False
    ) -> int:
        if not ids:
            return 0
        async with _translated():
            if not delete:
                acked: int = await self.client.xack(stream, group, *ids)
                return acked
            async with self.client.pipeline(transaction=False) as pipe:
                pipe.xack(stream, group, *ids)
                pipe.xdel(stream, *ids)
                results = await pipe.execute()
        return int(results[0])

    async def claim_stale(
        self, stream: str, group: str, consumer: str, *, min_idle_ms: int, count: int = 100
    ) -> list[Delivery]:
        """XAUTOCLAIM from where the last call stopped, then XPENDING for the delivery counts
        (XAUTOCLAIM does not return them). Entries trimmed while pending are dropped by Redis."""
        cursor_key = (stream, group, consumer)
        start = self._claim_cursors.get(cursor_key, "0-0")
        async with _translated():
            reply = await self.client.xautoclaim(
                stream, group, consumer, min_idle_ms, start_id=start, count=count
            )
            self._claim_cursors[cursor_key] = _text(reply[0])
            claimed = _deliveries(reply[1])
            if not claimed:
                return []
            async with self.client.pipeline(transaction=False) as pipe:
                for delivery in claimed:
                    pipe.xpending_range(stream, group, delivery.id, delivery.id, 1)
                rows = await pipe.execute()
        by_id = {
            _text(row["message_id"]): int(row["times_delivered"]) for found in rows for row in found
        }
        return [Delivery(d.id, d.payload, by_id.get(d.id, 1)) for d in claimed]

    async def pending_count(self, stream: str, group: str) -> int:
        async with _translated():
            summary = await self.client.xpending(stream, group)
        return int(summary["pending"])

    async def length(self, stream: str) -> int:
        async with _translated():
            found: int = await self.client.xlen(stream)
        return found

    # --- values --------------------------------------------------------------------------

    async def set_value(self, key: str, value: bytes, *, ttl_s: float) -> None:
        async with _translated():
            await self.client.set(key, value, px=max(1, int(ttl_s * 1000)))

    async def set_values(self, values: Mapping[str, bytes], *, ttl_s: float) -> None:
        if not values:
            return
        ttl_ms = max(1, int(ttl_s * 1000))
        async with _translated(), self.client.pipeline(transaction=False) as pipe:
            for key, value in values.items():
                pipe.set(key, value, px=ttl_ms)
            await pipe.execute()

    async def get_values(self, keys: Sequence[str]) -> list[bytes | None]:
        if not keys:
            return []
        async with _translated():
            found = await self.client.mget(list(keys))
        return [value if isinstance(value, bytes) else None for value in found]

    async def delete_value(self, key: str) -> None:
        async with _translated():
            await self.client.delete(key)

    async def values(self, prefix: str) -> dict[str, bytes]:
        pattern = _GLOB_SPECIAL.sub(r"\\\1", prefix) + "*"
        async with _translated():
            keys = [key async for key in self.client.scan_iter(match=pattern, count=1000)]
            if not keys:
                return {}
            found = await self.client.mget(keys)
        return {_text(k): v for k, v in zip(keys, found, strict=True) if isinstance(v, bytes)}

    async def ping(self) -> bool:
        async with _translated():
            return bool(await self.client.ping())

    async def close(self) -> None:
        await self.client.aclose()
        await self.client.connection_pool.disconnect()
