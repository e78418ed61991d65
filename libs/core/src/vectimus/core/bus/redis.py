"""The Redis Streams transport, on pipelining hiredis connections (:mod:`.resp`).

Every entry has one field, ``m``, holding the message bytes. Batches go out pipelined (one
write, one wake-up); XADD trims with ``MAXLEN ~``. Commands that answer at once share one
connection; each blocking read has a connection of its own. Connection failures and late
replies surface as :class:`BusUnavailable`, a missing consumer group as
:class:`NoGroupError`, so a worker handles both without knowing the client. Replies are
RESP2, read here as plain lists.

Blocking reads are capped below the socket timeout, so a dead or stalled server is noticed
within ``socket_timeout`` and a live one never times out a read.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from vectimus.core.bus.contract import BusError, BusUnavailable, Delivery, NoGroupError
from vectimus.core.bus.resp import Arg, Command, Endpoint, ReplyError, RespPool

FIELD = b"m"
VALUES_INDEX = "vectimus:values"
_VALUES_KEPT_MS = 3_600_000
# Error replies that mean "the server cannot serve now", not "the command is wrong".
_UNAVAILABLE = ("LOADING", "MASTERDOWN", "BUSY ", "TRYAGAIN", "CLUSTERDOWN")


class RedisCommandError(BusError):
    """Redis refused a command (out of memory, read-only replica, wrong type...)."""


@dataclass(frozen=True)
class Script:
    """A Lua script, called by its SHA-1 (EVALSHA) and sent whole only when Redis lacks it."""

    source: str
    sha: str = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "sha", hashlib.sha1(self.source.encode()).hexdigest())  # noqa: S324 - Redis names scripts by SHA-1

    def call(self, keys: Sequence[str], args: Sequence[Any]) -> Command:
        return ("EVALSHA", self.sha, len(keys), *keys, *args)


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def _checked(reply: Any) -> Any:
    if isinstance(reply, ReplyError):
        message = str(reply)
        if message.startswith("NOGROUP"):
            raise NoGroupError(message)
        if message.startswith(_UNAVAILABLE):
            raise BusUnavailable(f"redis unavailable: {message}")
        raise RedisCommandError(f"redis refused the command: {message}")
    return reply


def _deliveries(entries: Sequence[Any] | None) -> list[Delivery]:
    """``[[id, [field, value, ...]], ...]``; an entry deleted while pending has no fields."""
    found = []
    for entry_id, fields in entries or ():
        if not fields:
            continue
        for i in range(0, len(fields) - 1, 2):
            if fields[i] == FIELD:
                found.append(Delivery(_text(entry_id), fields[i + 1]))
                break
    return found


class RedisBus:
    """The bus on one Redis server (or a proxy that speaks the Streams commands)."""

    def __init__(self, pool: RespPool) -> None:
        self.pool = pool
        self._max_block_ms = max(100, int(pool.socket_timeout_s * 1000) - 1000)
        self._claim_cursors: dict[tuple[str, str, str], str] = {}

    @classmethod
    def from_url(
        cls,
        url: str,
        *,
        max_connections: int = 64,
        socket_timeout_s: float = 10.0,
        connect_timeout_s: float = 2.0,
    ) -> RedisBus:
        pool = RespPool(
            Endpoint.parse(url),
            connect_timeout_s=connect_timeout_s,
            socket_timeout_s=socket_timeout_s,
            max_blocking=max_connections,
        )
        return cls(pool)

    async def execute(self, commands: Sequence[Command]) -> list[Any]:
        """Run ``commands`` in one round trip; their replies, each checked (raises the first
        error). For the services' own keys (counters, approvals) beside the streams."""
        try:
            replies = await self.pool.execute(commands)
        except (ConnectionError, OSError, TimeoutError) as exc:
            raise BusUnavailable(f"redis unavailable: {type(exc).__name__}: {exc}") from exc
        return [_checked(reply) for reply in replies]

    async def run_scripts(
        self, calls: Sequence[tuple[Script, Sequence[str], Sequence[Any]]]
    ) -> list[Any]:
        """Run ``(script, keys, args)`` calls in one round trip (two the first time a server
        sees a script, or after it restarted); their replies, each checked."""
        commands = [script.call(keys, args) for script, keys, args in calls]
        try:
            replies = await self.pool.execute(commands)
            missing = [
                i
                for i, reply in enumerate(replies)
                if isinstance(reply, ReplyError) and str(reply).startswith("NOSCRIPT")
            ]
            if missing:
                again = await self.pool.execute(
                    [("EVAL", calls[i][0].source, *commands[i][2:]) for i in missing]
                )
                for i, reply in zip(missing, again, strict=True):
                    replies[i] = reply
        except (ConnectionError, OSError, TimeoutError) as exc:
            raise BusUnavailable(f"redis unavailable: {type(exc).__name__}: {exc}") from exc
        return [_checked(reply) for reply in replies]

    async def _one(self, *command: Any) -> Any:
        return (await self.execute([command]))[0]

    async def _blocking(self, command: Command, block_ms: int) -> Any:
        try:
            reply = await self.pool.blocking(command, block_s=block_ms / 1000)
        except (ConnectionError, OSError, TimeoutError) as exc:
            raise BusUnavailable(f"redis unavailable: {type(exc).__name__}: {exc}") from exc
        return _checked(reply)

    def _block(self, block_ms: int | None) -> int | None:
        if block_ms is None:
            return None
        return self._max_block_ms if block_ms == 0 else min(block_ms, self._max_block_ms)

    async def _read(
        self, head: list[Any], streams: Sequence[tuple[str, str]], count: int, block_ms: int | None
    ) -> list[Any]:
        command: list[Any] = [*head, "COUNT", count]
        block = self._block(block_ms)
        if block is not None:
            command += ["BLOCK", block]
        command += ["STREAMS", *(name for name, _ in streams), *(start for _, start in streams)]
        found = await self._one(*command) if block is None else await self._blocking(command, block)
        return found or []

    # --- streams ---------------------------------------------------------------------------

    @staticmethod
    def _xadd(stream: str, payload: bytes, maxlen: int | None) -> Command:
        if maxlen is None:
            return ("XADD", stream, "*", FIELD, payload)
        return ("XADD", stream, "MAXLEN", "~", maxlen, "*", FIELD, payload)

    async def publish(self, stream: str, payload: bytes, *, maxlen: int | None = None) -> str:
        return _text(await self._one(*self._xadd(stream, payload, maxlen)))

    async def publish_many(
        self, stream: str, payloads: Sequence[bytes], *, maxlen: int | None = None
    ) -> list[str]:
        return await self.publish_batch([(stream, payload, maxlen) for payload in payloads])

    async def publish_batch(self, items: Sequence[tuple[str, bytes, int | None]]) -> list[str]:
        if not items:
            return []
        ids = await self.execute([self._xadd(*item) for item in items])
        return [_text(entry) for entry in ids]

    async def read(
        self, streams: dict[str, str], *, count: int = 100, block_ms: int | None = None
    ) -> dict[str, list[Delivery]]:
        found = await self._read(["XREAD"], list(streams.items()), count, block_ms)
        return {_text(name): _deliveries(entries) for name, entries in found}

    async def ensure_group(self, stream: str, group: str, *, start: str = "0") -> None:
        try:
            await self._one("XGROUP", "CREATE", stream, group, start, "MKSTREAM")
        except RedisCommandError as exc:
            if "BUSYGROUP" not in str(exc):  # the only error that means "done"
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
        head = ["XREADGROUP", "GROUP", group, consumer]
        found = await self._read(head, [(stream, ">")], count, block_ms)
        return [d for _, entries in found for d in _deliveries(entries)]

    async def ack(
        self, stream: str, group: str, ids: Sequence[str], *, delete: bool = False
    ) -> int:
        if not ids:
            return 0
        commands: list[Command] = [("XACK", stream, group, *ids)]
        if delete:
            commands.append(("XDEL", stream, *ids))
        return int((await self.execute(commands))[0])

    async def claim_stale(
        self, stream: str, group: str, consumer: str, *, min_idle_ms: int, count: int = 100
    ) -> list[Delivery]:
        """XAUTOCLAIM from where the last call stopped, then XPENDING for the delivery counts
        (XAUTOCLAIM does not return them). Entries trimmed while pending are dropped by Redis."""
        cursor_key = (stream, group, consumer)
        start = self._claim_cursors.get(cursor_key, "0-0")
        reply = await self._one(
            "XAUTOCLAIM", stream, group, consumer, min_idle_ms, start, "COUNT", count
        )
        self._claim_cursors[cursor_key] = _text(reply[0])
        claimed = _deliveries(reply[1])
        if not claimed:
            return []
        rows = await self.execute([("XPENDING", stream, group, d.id, d.id, 1) for d in claimed])
        # each row: [[id, consumer, idle ms, times delivered]]
        by_id = {_text(row[0]): int(row[3]) for found in rows for row in found}
        return [Delivery(d.id, d.payload, by_id.get(d.id, 1)) for d in claimed]

    async def pending_count(self, stream: str, group: str) -> int:
        summary = await self._one("XPENDING", stream, group)
        return int(summary[0])

    async def length(self, stream: str) -> int:
        return int(await self._one("XLEN", stream))

    # --- values --------------------------------------------------------------------------
    # Every key set here is also listed in one sorted set, scored with when it expires, so
    # values() reads that list instead of scanning the keyspace: a SCAN's cost grows with
    # every key in the database, and the session counters keep one per call for minutes.
    # Listed keys are dropped an hour after they expired (a generous margin for clock skew
    # between hosts); until then MGET finds them gone.

    async def set_value(self, key: str, value: bytes, *, ttl_s: float) -> None:
        await self.set_values({key: value}, ttl_s=ttl_s)

    async def set_values(self, values: Mapping[str, bytes], *, ttl_s: float) -> None:
        if not values:
            return
        ttl_ms = max(1, int(ttl_s * 1000))
        expires = time.time_ns() // 1_000_000 + ttl_ms
        listed: list[Arg] = []
        for key in values:
            listed += [expires, key]
        commands: list[Command] = [
            ("SET", key, value, "PX", ttl_ms) for key, value in values.items()
        ]
        commands.append(("ZADD", VALUES_INDEX, *listed))
        await self.execute(commands)

    async def get_values(self, keys: Sequence[str]) -> list[bytes | None]:
        if not keys:
            return []
        found = await self._one("MGET", *keys)
        return [value if isinstance(value, bytes) else None for value in found]

    async def delete_value(self, key: str) -> None:
        await self.execute([("DEL", key), ("ZREM", VALUES_INDEX, key)])

    async def expire_stream(self, stream: str, *, ttl_s: float) -> bool:
        return bool(await self._one("PEXPIRE", stream, max(1, int(ttl_s * 1000))))

    async def values(self, prefix: str) -> dict[str, bytes]:
        forgotten = time.time_ns() // 1_000_000 - _VALUES_KEPT_MS
        _, listed = await self.execute(
            [
                ("ZREMRANGEBYSCORE", VALUES_INDEX, "-inf", f"({forgotten}"),
                ("ZRANGE", VALUES_INDEX, 0, -1),
            ]
        )
        keys = [key for key in map(_text, listed) if key.startswith(prefix)]
        found = await self.get_values(keys)
        return {key: value for key, value in zip(keys, found, strict=True) if value is not None}

    async def ping(self) -> bool:
        return bool(await self._one("PING"))

    async def close(self) -> None:
        await self.pool.close()
