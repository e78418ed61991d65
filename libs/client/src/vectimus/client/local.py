"""Talk to the local daemon over its Unix socket: one request, one reply.

Uses the built-in ``_socket`` (``socket`` costs about 5 ms to import, for its enums). Before
connecting, the socket must be a socket owned by this user: a path in /tmp can be planted.
"""

from __future__ import annotations

import _socket
import os
import time

from vectimus.client import locations, wire

DEFAULT_TIMEOUT_S = 10.0


class DaemonDown(Exception):  # noqa: N818 - a state, not a programming error
    """Nothing listens on the socket (it is missing, stale or refuses): start a daemon."""


class DaemonUnusable(Exception):  # noqa: N818
    """The socket is someone else's, or the daemon gave no usable reply: do not use it."""


def timeout_s() -> float:
    try:
        return max(0.1, float(os.environ.get("VECTIMUS_DAEMON_TIMEOUT", DEFAULT_TIMEOUT_S)))
    except ValueError:
        return DEFAULT_TIMEOUT_S


def call(request: bytes, *, path: str | None = None, timeout: float | None = None) -> list[bytes]:
    """Send ``request`` (already packed) and return the reply's fields."""
    path = path or locations.socket_path()
    state = locations.socket_state(path)
    if state == "missing":
        raise DaemonDown(path)
    if state == "foreign":
        raise DaemonUnusable(f"{path} is not a socket owned by this user; it is not used")
    limit = timeout if timeout is not None else timeout_s()
    deadline = time.monotonic() + limit
    sock = _socket.socket(_socket.AF_UNIX, _socket.SOCK_STREAM)
    try:
        sock.settimeout(limit)
        try:
            sock.connect(path)
        except (ConnectionRefusedError, FileNotFoundError):
            raise DaemonDown(path) from None
        sock.sendall(request)
        sock.shutdown(_socket.SHUT_WR)
        chunks = []
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise DaemonUnusable(f"the daemon did not answer within {limit} s")
            sock.settimeout(remaining)
            chunk = sock.recv(262144)
            if not chunk:
                break
            chunks.append(chunk)
    except OSError as exc:
        raise DaemonUnusable(f"the daemon connection failed: {exc}") from None
    finally:
        sock.close()
    try:
        fields = wire.unpack(b"".join(chunks))
    except wire.WireError as exc:
        raise DaemonUnusable(f"the daemon's reply is malformed: {exc}") from None
    if not fields:
        raise DaemonUnusable("the daemon closed without a reply")
    return fields
