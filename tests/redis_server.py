"""A real Redis for the tests: REDIS_URL, else our own redis-server, else testcontainers.

Under CI (``CI=true``) having none of the three is a failure; elsewhere the tests that need
Redis are skipped with the reason. One server serves the whole session and is flushed
before each test. :class:`RedisServer` is also what the restart tests stop and start again
on the same port.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest

REDIS_BINARY_CANDIDATES = ("/usr/bin/redis-server", "/usr/local/bin/redis-server")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def redis_binary() -> str | None:
    for candidate in REDIS_BINARY_CANDIDATES:
        if Path(candidate).is_file() and os.access(candidate, os.X_OK):
            return candidate
    return shutil.which("redis-server")


class RedisServer:
    """A ``redis-server`` child process on a fixed port, without persistence.

    ``args`` are appended to the command line and win over the defaults (the chaos stack
    turns the append-only file on, so that a restart keeps the streams)."""

    def __init__(self, binary: str, port: int | None = None, *, args: Sequence[str] = ()) -> None:
        self.binary = binary
        self.args = tuple(args)
        self.port = port or free_port()
        self.directory = tempfile.mkdtemp(prefix="vectimus-redis-")
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self, timeout_s: float = 10.0) -> None:
        self.process = subprocess.Popen(
            [
                self.binary,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                self.directory,
                *self.args,
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"redis-server exited with {self.process.returncode}")
            if self.answers():
                return
            time.sleep(0.02)
        self.stop()
        raise RuntimeError(f"redis-server did not answer on port {self.port}")

    def answers(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.2) as sock:
                sock.sendall(b"PING\r\n")
                return sock.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)
        self.process = None

    def restart(self) -> None:
        self.stop()
        self.start()

    def close(self) -> None:
        self.stop()
        shutil.rmtree(self.directory, ignore_errors=True)


@dataclass
class RedisUnavailable:
    reason: str


def unavailable(reason: str) -> None:
    """Skip for a missing Redis; under CI=true, fail instead."""
    if os.environ.get("CI") == "true":
        pytest.fail(f"Redis is required under CI: {reason}", pytrace=False)
    pytest.skip(reason)


@contextlib.contextmanager
def _container() -> Iterator[str]:
    from testcontainers.redis import RedisContainer

    with RedisContainer() as container:
        host = container.get_container_host_ip()
        port = container.get_exposed_port(6379)
        yield f"redis://{host}:{port}/0"


def start_session_redis(stack: contextlib.ExitStack) -> str | RedisUnavailable:
    """A Redis URL for the session (cleanup registered on ``stack``), or why there is none."""
    url = os.environ.get("REDIS_URL")
    if url:
        return url
    problems = []
    binary = redis_binary()
    if binary is not None:
        server = RedisServer(binary)
        try:
            server.start()
        except (OSError, RuntimeError) as exc:
            problems.append(f"redis-server failed: {exc}")
        else:
            stack.callback(server.close)
            return server.url
    else:
        problems.append("no redis-server binary")
    try:
        return stack.enter_context(_container())
    except Exception as exc:  # noqa: BLE001 - no docker, no image: one more reason to report
        problems.append(f"testcontainers failed: {type(exc).__name__}: {exc}".splitlines()[0])
    return RedisUnavailable("no Redis: REDIS_URL unset; " + "; ".join(problems))


@pytest.fixture(scope="session")
def redis_session() -> Iterator[str | RedisUnavailable]:
    with contextlib.ExitStack() as stack:
        yield start_session_redis(stack)


@pytest.fixture
def redis_url(redis_session: str | RedisUnavailable) -> str:
    """A Redis URL with an empty database (flushed before the test)."""
    if isinstance(redis_session, RedisUnavailable):
        unavailable(redis_session.reason)
        raise AssertionError("unreachable")
    import redis

    client = redis.Redis.from_url(redis_session)
    try:
        client.flushall()
    finally:
        client.close()
    return redis_session


@pytest.fixture
def own_redis() -> Iterator[RedisServer]:
    """A redis-server of this test's own, to stop and restart (not the shared one)."""
    binary = redis_binary()
    if binary is None:
        unavailable("the restart tests need a redis-server binary (REDIS_URL is not enough)")
        raise AssertionError("unreachable")
    server = RedisServer(binary)
    server.start()
    try:
        yield server
    finally:
        server.close()
