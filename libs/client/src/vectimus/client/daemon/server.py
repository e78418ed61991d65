"""The daemon process: its socket, one thread per connection, and its lifecycle.

- **One per user.** A ``flock`` on ``<socket>.lock`` is held for the daemon's life; a second
  daemon that cannot take it exits at once. Holding the lock, a leftover socket file of ours
  is stale and replaced; a path owned by another user is refused (the daemon does not start).
- **Private.** The socket is created under umask 077 and chmod 0600; each connection's peer
  credentials (``SO_PEERCRED``) must be this user's.
- **Idle exit.** After ``VECTIMUS_DAEMON_IDLE`` seconds (default 1800) with no request and no
  open connection, the daemon drains its trail and exits; so does it on SIGTERM, SIGINT or
  an admin ``stop``.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import select
import signal
import socket
import struct
import sys
import threading
import time

from vectimus.client import locations, secret, wire
from vectimus.client.daemon.service import Service

DEFAULT_IDLE_S = 1800.0
CONNECTION_TIMEOUT_S = 30.0
log = logging.getLogger("vectimus.daemon")


def idle_seconds() -> float:
    try:
        return max(0.1, float(os.environ.get("VECTIMUS_DAEMON_IDLE", DEFAULT_IDLE_S)))
    except ValueError:
        return DEFAULT_IDLE_S


class AlreadyRunning(Exception):  # noqa: N818 - a state
    pass


def _take_lock(path: str) -> int:
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
    if not locations.owned_by_me(os.fstat(fd)):
        os.close(fd)
        raise PermissionError(f"{path} belongs to another user")
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        raise AlreadyRunning(path) from None
    return fd


def _bind(path: str) -> socket.socket:
    state = locations.socket_state(path)
    if state == "foreign":
        raise PermissionError(f"{path} exists and is not this user's socket; not replacing it")
    if state == "ok":
        os.unlink(path)  # ours and stale: we hold the lock, so no daemon serves it
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    old_umask = os.umask(0o177)
    try:
        sock.bind(path)
    finally:
        os.umask(old_umask)
    os.chmod(path, 0o600)
    sock.listen(128)
    return sock


def _peer_uid(conn: socket.socket) -> int | None:
    option = getattr(socket, "SO_PEERCRED", None)
    if option is None:
        return os.getuid()  # no peer credentials on this platform: the 0600 mode guards
    raw = conn.getsockopt(socket.SOL_SOCKET, option, struct.calcsize("3i"))
    _pid, uid, _gid = struct.unpack("3i", raw)
    return int(uid)


class Server:
    def __init__(self, sock: socket.socket, service: Service, idle_s: float) -> None:
        self.sock = sock
        self.service = service
        self.idle_s = idle_s
        self._active = 0
        self._last = time.monotonic()
        self._lock = threading.Lock()
        self._wake_r, self._wake_w = os.pipe()
        os.set_blocking(self._wake_w, False)

    def wake(self) -> None:
        with contextlib.suppress(OSError):
            os.write(self._wake_w, b"x")

    def serve(self) -> str:
        """Accept until idle, signalled or stopped; returns why it stopped."""
        while True:
            with self._lock:
                active, idle_for = self._active, time.monotonic() - self._last
            if self.service.stop_requested.is_set():
                return "stop requested"
            if not active and idle_for >= self.idle_s:
                return f"idle for {self.idle_s:g} s"
            timeout = 1.0 if active else min(self.idle_s - idle_for, 60.0)
            watched: list[socket.socket | int] = [self.sock, self._wake_r]
            readable, _, _ = select.select(watched, [], [], max(timeout, 0.01))
            if self._wake_r in readable:
                with contextlib.suppress(OSError):
                    os.read(self._wake_r, 512)
            if self.sock in readable:
                try:
                    conn, _ = self.sock.accept()
                except OSError:
                    continue
                with self._lock:
                    self._active += 1
                    self._last = time.monotonic()
                threading.Thread(target=self._serve_one, args=(conn,), daemon=True).start()

    def _serve_one(self, conn: socket.socket) -> None:
        try:
            conn.settimeout(CONNECTION_TIMEOUT_S)
            if _peer_uid(conn) != os.getuid():
                log.warning("refused a connection from another user")
                return
            reply = self.service.handle(self._read(conn))
            conn.sendall(reply)
        except (OSError, wire.WireError) as exc:
            log.warning("connection failed: %s", exc)
        except Exception:
            log.exception("request failed")
            with contextlib.suppress(OSError):
                conn.sendall(wire.pack(b"refused", b"internal error"))
        finally:
            conn.close()
            with self._lock:
                self._active -= 1
                self._last = time.monotonic()
            if self.service.stop_requested.is_set():
                self.wake()

    @staticmethod
    def _read(conn: socket.socket) -> list[bytes]:
        chunks: list[bytes] = []
        size = 0
        while True:
            chunk = conn.recv(262144)
            if not chunk:
                return wire.unpack(b"".join(chunks))
            size += len(chunk)
            if size > wire.MAX_MESSAGE:
                raise wire.WireError("request too large")
            chunks.append(chunk)


def main() -> int:
    logging.basicConfig(
        stream=sys.stderr,
        level=logging.INFO,
        format="%(asctime)s vectimus-daemon[%(process)d] %(levelname)s %(message)s",
    )
    # Answers must not wait out the default 5 ms GIL switch interval while the trail thread
    # signs and writes the previous call's receipt.
    sys.setswitchinterval(0.0005)
    path = locations.socket_path()
    try:
        lock_fd = _take_lock(locations.lock_path())
    except AlreadyRunning:
        log.info("another daemon holds %s; exiting", locations.lock_path())
        return 0
    except OSError as exc:
        log.error("cannot take the daemon lock: %s", exc)
        return 1
    try:
        secret.ensure_secret()
        sock = _bind(path)
    except OSError as exc:
        log.error("cannot start: %s", exc)
        os.close(lock_fd)
        return 1
    bound = os.stat(path).st_ino
    idle_s = idle_seconds()
    service = Service(idle_s=idle_s, socket_path=path)
    server = Server(sock, service, idle_s)

    def _on_signal(signum: int, _frame: object) -> None:
        service.stop_requested.set()
        server.wake()

    signal.signal(signal.SIGTERM, _on_signal)
    signal.signal(signal.SIGINT, _on_signal)
    log.info("serving on %s (idle exit after %g s)", path, idle_s)
    try:
        why = server.serve()
    finally:
        with contextlib.suppress(OSError):
            if os.stat(path).st_ino == bound:
                os.unlink(path)
        sock.close()
        service.trail.close()
        os.close(lock_fd)
    log.info("exiting: %s", why)
    return 0
