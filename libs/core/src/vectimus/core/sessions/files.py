"""Session counts in small files: the inline hook, which lives for one call.

One file per session, ``<directory>/<session key>.json``, holding the counts and when they
expire. Each update takes an exclusive ``flock`` on the file, reads, adds and writes back,
so hook processes running side by side (an agent's parallel tool calls) count each call
once. The directory is the user's private runtime directory (0700); expired files are
removed when a new session starts.
"""

from __future__ import annotations

import fcntl
import json
import os
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from vectimus.core.sessions.counts import SessionCall, SessionCounts, added, failed

_MAX_FILE = 4096


class FileSessionCounter:
    def __init__(self, directory: Path, *, clock: Callable[[], float] = time.time) -> None:
        self.directory = directory
        self._clock = clock

    def count_now(self, calls: Sequence[SessionCall], *, ttl_s: int) -> list[SessionCounts]:
        try:
            self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
            return [self._add(call, ttl_s) for call in calls]
        except (OSError, ValueError) as exc:
            return failed(f"the session counter file failed: {exc}", len(calls))

    def _add(self, call: SessionCall, ttl_s: int) -> SessionCounts:
        path = self.directory / f"{call.session}.json"
        flags = os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0)
        fd = os.open(path, flags, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            now = self._clock()
            current = _read(fd, now)
            if current is None:
                self._sweep(now, keep=path)
            counts = added(current or SessionCounts(), call.kind)
            data = json.dumps(
                {
                    "spawns": counts.spawns,
                    "messages": counts.messages,
                    "tool_calls": counts.tool_calls,
                    "expires": now + ttl_s,
                }
            ).encode()
            os.ftruncate(fd, 0)
            os.pwrite(fd, data, 0)
            return counts
        finally:
            os.close(fd)  # closing releases the lock

    def _sweep(self, now: float, *, keep: Path) -> None:
        """Remove the files of sessions that have expired (best effort)."""
        for found in self.directory.glob("*.json"):
            if found == keep:
                continue
            try:
                with found.open("rb") as handle:
                    expired = _decode(handle.read(_MAX_FILE), now) is None
                if expired:
                    found.unlink()
            except (OSError, ValueError):
                continue


def _read(fd: int, now: float) -> SessionCounts | None:
    """The counts in the open file; None when it is new or expired."""
    return _decode(os.pread(fd, _MAX_FILE, 0), now)


def _decode(raw: bytes, now: float) -> SessionCounts | None:
    """None for an empty or expired file; ValueError for one that is not ours (edited by
    hand or by an agent): its counts are unknown, and a reset would let a flood through."""
    if not raw:
        return None
    data = json.loads(raw)
    if not isinstance(data, dict) or not isinstance(data.get("expires"), int | float):
        raise ValueError("the session counter file is malformed")
    if data["expires"] <= now:
        return None
    return SessionCounts(
        spawns=_count(data, "spawns"),
        messages=_count(data, "messages"),
        tool_calls=_count(data, "tool_calls"),
    )


def _count(data: dict[str, object], name: str) -> int:
    value = data.get(name)
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise ValueError(f"the session counter file has a bad {name!r}")
    return value
