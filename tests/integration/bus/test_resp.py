"""The pipelining connection under the Redis bus, against a real redis-server.

What must hold: replies reach the caller that asked, whatever the interleaving; an error
reply fails only its own command; a stalled or restarted server fails the waiting commands
(never hangs them) and the next command reconnects; AUTH and the database come from the URL.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.redis_server import RedisServer, redis_binary, unavailable
from vectimus.core.bus import BusUnavailable
from vectimus.core.bus.redis import RedisBus, RedisCommandError
from vectimus.core.bus.resp import Endpoint, ReplyError


class _PasswordRedis(RedisServer):
    def answers(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.2) as sock:
                sock.sendall(b"PING\r\n")
                return sock.recv(16).startswith(b"-NOAUTH")
        except OSError:
            return False


@pytest.fixture
def password_redis() -> Iterator[RedisServer]:
    binary = redis_binary()
    if binary is None:
        unavailable("the AUTH tests need a redis-server binary")
        raise AssertionError("unreachable")
    server = _PasswordRedis(binary, args=["--requirepass", "s3cret pass"])
    server.start()
    try:
        yield server
    finally:
        server.close()


@pytest.fixture
def socket_redis() -> Iterator[tuple[RedisServer, str]]:
    """A redis-server that also listens on a socket file, with a password: (server, path)."""
    binary = redis_binary()
    if binary is None:
        unavailable("the unix socket tests need a redis-server binary")
        raise AssertionError("unreachable")
    server = _PasswordRedis(binary, args=["--requirepass", "s3cret"])
    path = str(Path(server.directory) / "redis.sock")
    server.args += ("--unixsocket", path, "--unixsocketperm", "700")
    server.start()
    try:
        yield server, path
    finally:
        server.close()


async def test_concurrent_callers_each_get_their_own_reply(redis_url: str) -> None:
    bus = RedisBus.from_url(redis_url)
    try:
        await bus.execute([("DEL", "resp:counter")])

        async def bump(n: int) -> tuple[int, int]:
            (value,) = await bus.execute([("INCR", "resp:counter")])
            (echo,) = await bus.execute([("ECHO", str(n))])
            assert echo == str(n).encode()
            return n, int(value)

        results = await asyncio.gather(*(bump(n) for n in range(300)))
        assert sorted(value for _, value in results) == list(range(1, 301))
    finally:
        await bus.close()


async def test_an_error_reply_fails_only_its_own_command(redis_url: str) -> None:
    bus = RedisBus.from_url(redis_url)
    try:
        replies = await bus.pool.execute(
            [("SET", "resp:text", "abc"), ("INCR", "resp:text"), ("GET", "resp:text")]
        )
        assert replies[0] == b"OK" and replies[2] == b"abc"
        assert isinstance(replies[1], ReplyError)
        with pytest.raises(RedisCommandError, match="not an integer"):
            await bus.execute([("INCR", "resp:text")])
        assert await bus.execute([("GET", "resp:text")]) == [b"abc"]  # the connection is fine
    finally:
        await bus.close()


async def test_a_stalled_server_fails_the_waiting_command_then_recovers(
    own_redis: RedisServer,
) -> None:
    bus = RedisBus.from_url(own_redis.url, socket_timeout_s=0.5)
    assert own_redis.process is not None
    pid = own_redis.process.pid
    try:
        assert await bus.ping()
        os.kill(pid, signal.SIGSTOP)
        try:
            with pytest.raises(BusUnavailable, match="no reply from redis within"):
                await asyncio.wait_for(bus.publish("resp:s", b"x"), 5)
        finally:
            os.kill(pid, signal.SIGCONT)
        assert await bus.ping()  # a new connection: the late reply cannot be misrouted
        assert await bus.length("resp:s") == 1  # the write itself did happen
    finally:
        await bus.close()


async def test_a_restarted_server_fails_waiting_reads_and_commands_reconnect(
    own_redis: RedisServer,
) -> None:
    bus = RedisBus.from_url(own_redis.url, socket_timeout_s=2.0)
    try:
        assert await bus.ping()
        reader = asyncio.create_task(bus.read({"resp:quiet": "$"}, block_ms=1500))
        await asyncio.sleep(0.2)
        await asyncio.to_thread(own_redis.restart)
        with pytest.raises(BusUnavailable):
            await asyncio.wait_for(reader, 5)
        # The shared connection saw the close too: the next command opens a new one.
        assert await bus.publish("resp:r", b"kept")
        assert await bus.length("resp:r") == 1
    finally:
        await bus.close()


async def test_a_cancelled_blocking_read_leaves_no_stale_reply_behind(redis_url: str) -> None:
    bus = RedisBus.from_url(redis_url)
    try:
        stream = f"resp:cancel:{os.getpid()}"
        waiting = asyncio.create_task(bus.read({stream: "$"}, block_ms=3000))
        await asyncio.sleep(0.1)
        waiting.cancel()
        with pytest.raises(asyncio.CancelledError):
            await waiting
        entry = await bus.publish(stream, b"after")
        found = await asyncio.wait_for(bus.read({stream: "0"}, block_ms=2000), 3)
        assert [d.id for d in found[stream]] == [entry]
    finally:
        await bus.close()


async def test_password_and_database_come_from_the_url(password_redis: RedisServer) -> None:
    port = password_redis.port
    bus = RedisBus.from_url(f"redis://:s3cret%20pass@127.0.0.1:{port}/3")
    other = RedisBus.from_url(f"redis://:s3cret%20pass@127.0.0.1:{port}/0")
    try:
        await bus.set_value("resp:db", b"three", ttl_s=30)
        assert await bus.get_values(["resp:db"]) == [b"three"]
        assert await other.get_values(["resp:db"]) == [None]
    finally:
        await bus.close()
        await other.close()


async def test_a_wrong_password_is_bus_unavailable_naming_the_refusal(
    password_redis: RedisServer,
) -> None:
    bus = RedisBus.from_url(f"redis://:wrong@127.0.0.1:{password_redis.port}/0")
    try:
        with pytest.raises(BusUnavailable, match="refused the connection"):
            await bus.ping()
    finally:
        await bus.close()


async def test_a_unix_socket_url_reaches_the_server_with_its_password_and_database(
    socket_redis: tuple[RedisServer, str],
) -> None:
    server, path = socket_redis
    bus = RedisBus.from_url(f"unix://{path}?db=3&password=s3cret")
    over_tcp = RedisBus.from_url(f"redis://:s3cret@127.0.0.1:{server.port}/3")
    try:
        await bus.execute([("SET", "resp:unix", "over the socket file")])
        assert await over_tcp.get_values(["resp:unix"]) == [b"over the socket file"]
        (listed,) = await over_tcp.execute([("CLIENT", "LIST")])
        assert b"flags=U" in listed  # one client connected through the socket file
    finally:
        await bus.close()
        await over_tcp.close()


async def test_a_missing_socket_file_is_bus_unavailable(tmp_path: Path) -> None:
    bus = RedisBus.from_url(f"unix://{tmp_path}/no-redis-here.sock")
    try:
        with pytest.raises(BusUnavailable, match=r"no-redis-here\.sock: No such file"):
            await bus.ping()
    finally:
        await bus.close()


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("redis://localhost", Endpoint(host="localhost")),
        ("rediss://u:p%40w@h:7000/2", Endpoint("h", 7000, 2, "u", "p@w", tls=True)),
        ("unix:///run/redis/redis.sock", Endpoint(socket_path="/run/redis/redis.sock")),
        (
            "unix://u:pw@/run/redis%20x.sock?db=2",
            Endpoint(db=2, username="u", password="pw", socket_path="/run/redis x.sock"),
        ),
        (
            "unix:///r.sock?db=1&password=p%26q",
            Endpoint(db=1, password="p&q", socket_path="/r.sock"),
        ),
    ],
)
def test_endpoints_from_urls(url: str, expected: Endpoint) -> None:
    assert Endpoint.parse(url) == expected


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("http://h:6379", "not a Redis URL"),
        ("redis://h:6379/zero", "bad Redis URL"),
        ("redis://h:port/0", "bad Redis URL"),
        ("unix://", "the socket's absolute path"),
        ("unix://relative.sock", "the socket's absolute path"),
        ("unix:///r.sock?db=two", "the db 'two' is not a number"),
    ],
)
def test_bad_urls_are_named(url: str, problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        Endpoint.parse(url)
