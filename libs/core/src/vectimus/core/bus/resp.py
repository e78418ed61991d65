"""A pipelining Redis connection: hiredis packs and parses, asyncio carries the bytes.

Why not redis-py's client here: on this hot path it costs 100-140 µs of CPU per command
(connection pool, retry wrapper, health checks, stream readers), several times what the
round trip itself costs, and every request crosses five stream hops. This connection writes
each batch of commands in one ``write`` and resolves replies in order as they arrive, from
an ``asyncio.Protocol``, so a caller pays one wake-up per batch and no per-command layers.

Many coroutines may share one connection: commands go out in call order and replies come
back in the same order (Redis answers a connection's commands in order). A blocking command
(``XREAD BLOCK``) holds up everything behind it, so blocking reads get connections of their
own (:class:`RespPool`).

Failures: a lost connection fails every waiting command with :class:`ConnectionError`; a
reply that does not come within the timeout (a stalled server) closes the connection,
because the replies still owed would resolve the wrong futures. Either way the next command
opens a new connection. Error replies come back as :class:`hiredis.ReplyError` values, so a
caller sees each command's error (a pipeline can hold successes and errors).
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl
from collections import deque
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import hiredis

Arg = bytes | str | int | float
Command = Sequence[Arg]
ReplyError = hiredis.ReplyError


@dataclass(frozen=True)
class Endpoint:
    """Where and how to connect, from a ``redis://``, ``rediss://`` or ``unix://`` URL.

    ``unix:///run/redis/redis.sock?db=2`` is Redis's own socket file on this host: no TCP
    stack between the processes, which on a shared host makes each round trip cheaper than
    loopback TCP. As in redis-py, the database and the password may be given as ``db`` and
    ``password`` query parameters (``unix://user:secret@/path`` also works)."""

    host: str = "127.0.0.1"
    port: int = 6379
    db: int = 0
    username: str | None = None
    password: str | None = None
    tls: bool = False
    socket_path: str | None = None

    @classmethod
    def parse(cls, url: str) -> Endpoint:
        parts = urlsplit(url)
        if parts.scheme not in ("redis", "rediss", "unix"):
            raise ValueError(
                f"not a Redis URL (redis://, rediss:// or unix://): {parts.scheme}://..."
            )
        query = parse_qs(parts.query)
        username = unquote(parts.username) if parts.username else None
        password = unquote(parts.password) if parts.password else None
        if parts.scheme == "unix":
            if not parts.path.startswith("/") or parts.path == "/":
                raise ValueError("bad Redis URL: unix:// needs the socket's absolute path")
            return cls(
                db=_number("db", query.get("db", ["0"])[-1]),
                username=username,
                password=query.get("password", [password])[-1],
                socket_path=unquote(parts.path),
            )
        path = parts.path.strip("/")
        try:
            port = parts.port or 6379
        except ValueError as exc:
            raise ValueError(f"bad Redis URL: {exc}") from None
        return cls(
            host=parts.hostname or "127.0.0.1",
            port=port,
            db=_number("database", path) if path else 0,
            username=username,
            password=password,
            tls=parts.scheme == "rediss",
        )

    def handshake(self) -> list[Command]:
        """What a new connection sends before anything else (AUTH, SELECT)."""
        commands: list[Command] = []
        if self.password is not None:
            auth: list[Arg] = ["AUTH", self.password]
            if self.username:
                auth.insert(1, self.username)
            commands.append(auth)
        if self.db:
            commands.append(["SELECT", self.db])
        return commands


def _number(name: str, text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise ValueError(f"bad Redis URL: the {name} {text[:20]!r} is not a number") from None


class RespConnection(asyncio.Protocol):
    """One connection; commands pipelined, replies resolved in order."""

    def __init__(self) -> None:
        self._parser = hiredis.Reader()
        self._waiting: deque[asyncio.Future[Any]] = deque()
        self._transport: asyncio.Transport | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._lost: BaseException | None = None

    @classmethod
    async def open(cls, endpoint: Endpoint, *, timeout_s: float) -> RespConnection:
        loop = asyncio.get_running_loop()
        context = ssl.create_default_context() if endpoint.tls else None
        async with asyncio.timeout(timeout_s):
            if endpoint.socket_path is not None:
                try:
                    _, connection = await loop.create_unix_connection(cls, endpoint.socket_path)
                except OSError as exc:  # uvloop's message leaves the path out
                    raise ConnectionError(f"{endpoint.socket_path}: {exc.strerror}") from exc
            else:
                _, connection = await loop.create_connection(
                    cls, endpoint.host, endpoint.port, ssl=context
                )
            for reply in await connection.execute(endpoint.handshake(), timeout_s=timeout_s):
                if isinstance(reply, ReplyError):
                    connection.close()
                    raise ConnectionError(f"redis refused the connection: {reply}")
        return connection

    @property
    def usable(self) -> bool:
        return self._transport is not None and self._lost is None

    # --- asyncio.Protocol ---------------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = transport  # type: ignore[assignment] # a stream connection's
        # Kept: on Python 3.11 every get_running_loop() is a getpid() system call.
        self._loop = asyncio.get_running_loop()

    def data_received(self, data: bytes) -> None:
        self._parser.feed(data)
        while (reply := self._parser.gets()) is not False:
            if not self._waiting:
                self._fail(ConnectionError("redis sent a reply nobody asked for"))
                return
            future = self._waiting.popleft()
            if not future.done():
                future.set_result(reply)

    def connection_lost(self, exc: Exception | None) -> None:
        self._fail(exc or ConnectionError("redis closed the connection"))

    # --- commands -----------------------------------------------------------------------------

    async def execute(self, commands: Sequence[Command], *, timeout_s: float) -> list[Any]:
        """Send ``commands`` in one write; their replies, in order (errors as values).

        Raises ConnectionError (lost, or closed because the replies were late)."""
        if not commands:
            return []
        if self._lost is not None or self._transport is None or self._loop is None:
            raise ConnectionError(f"redis connection is closed ({self._lost})")
        loop = self._loop
        futures = [loop.create_future() for _ in commands]
        self._waiting.extend(futures)
        # hiredis's stub types the argument as a 1-tuple; it takes any number of arguments.
        packed = b"".join(hiredis.pack_command(tuple(c)) for c in commands)  # type: ignore[arg-type]
        self._transport.write(packed)
        # One timer per call, not an asyncio.timeout scope (a third of this method's cost):
        # when the last reply is late, the connection fails and so does every waiting call.
        timer = loop.call_later(timeout_s, self._late, futures[-1], timeout_s)
        try:
            return [await future for future in futures]
        finally:
            timer.cancel()

    def _late(self, last: asyncio.Future[Any], timeout_s: float) -> None:
        if not last.done():
            self._fail(ConnectionError(f"no reply from redis within {timeout_s:g} s"))

    def close(self) -> None:
        self._fail(ConnectionError("connection closed"))

    def _fail(self, error: BaseException) -> None:
        if self._lost is None:
            self._lost = error
        if self._transport is not None:
            self._transport.close()
        while self._waiting:
            future = self._waiting.popleft()
            if not future.done():
                future.set_exception(ConnectionError(str(error)))


class RespPool:
    """One shared connection for commands that answer at once, and a connection of its own
    for each blocking read in progress (idle ones kept for the next)."""

    def __init__(
        self,
        endpoint: Endpoint,
        *,
        connect_timeout_s: float,
        socket_timeout_s: float,
        max_blocking: int,
    ) -> None:
        self.endpoint = endpoint
        self.connect_timeout_s = connect_timeout_s
        self.socket_timeout_s = socket_timeout_s
        self._shared: RespConnection | None = None
        self._connecting: asyncio.Lock | None = None
        self._idle: list[RespConnection] = []
        self._slots = asyncio.Semaphore(max_blocking)
        self._closed = False

    async def execute(self, commands: Sequence[Command]) -> list[Any]:
        connection = await self._shared_connection()
        return await connection.execute(commands, timeout_s=self.socket_timeout_s)

    async def blocking(self, command: Command, *, block_s: float) -> Any:
        """Run one blocking command on a connection nobody else is waiting on."""
        async with self._slots, self._dedicated() as connection:
            replies = await connection.execute([command], timeout_s=block_s + self.socket_timeout_s)
        return replies[0]

    async def close(self) -> None:
        self._closed = True
        if self._shared is not None:
            self._shared.close()
        for connection in self._idle:
            connection.close()
        self._idle.clear()

    async def _open(self) -> RespConnection:
        if self._closed:
            raise ConnectionError("the bus is closed")
        return await RespConnection.open(self.endpoint, timeout_s=self.connect_timeout_s)

    async def _shared_connection(self) -> RespConnection:
        if self._shared is not None and self._shared.usable:
            return self._shared
        if self._connecting is None:
            self._connecting = asyncio.Lock()
        async with self._connecting:  # one reconnect, however many callers noticed
            if self._shared is None or not self._shared.usable:
                self._shared = await self._open()
            return self._shared

    @contextlib.asynccontextmanager
    async def _dedicated(self) -> AsyncIterator[RespConnection]:
        while self._idle and not self._idle[-1].usable:
            self._idle.pop()
        connection = self._idle.pop() if self._idle else await self._open()
        try:
            yield connection
        except BaseException:
            # Cancelled or failed mid-command: the reply may still be owed, so the
            # connection is not clean for the next reader.
            connection.close()
            raise
        if connection.usable and not self._closed:
            self._idle.append(connection)
        else:
            connection.close()
