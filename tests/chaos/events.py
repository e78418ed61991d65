"""A dashboard that never gives up: /events followed by a thread, resumed with Last-Event-ID.

Whenever its connection ends (a gateway worker killed, Redis restarted under the gateway), or
when :meth:`Follower.resume` asks, the follower connects again with ``Last-Event-ID`` set to
the last id it saw. What it saw, in order, is compared with the events stream itself by the
checker: a resume that skips or repeats an event shows there.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field

import httpx


@dataclass(frozen=True)
class Seen:
    connection: int
    event_id: str
    receipt_id: str


@dataclass
class Follower:
    url: str
    headers: dict[str, str]
    seen: list[Seen] = field(default_factory=list)
    connections: int = 0
    errors: list[str] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)
    _resume: threading.Event = field(default_factory=threading.Event)
    _open: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def start(self, timeout_s: float = 10.0) -> Follower:
        self._thread = threading.Thread(target=self._run, name="sse-follower", daemon=True)
        self._thread.start()
        if not self._open.wait(timeout_s):
            raise AssertionError(f"/events did not open within {timeout_s} s: {self.errors}")
        return self

    @property
    def last_id(self) -> str:
        return self.seen[-1].event_id if self.seen else ""

    def resume(self, timeout_s: float = 10.0) -> None:
        """Drop the connection and come back with Last-Event-ID (what a browser does)."""
        before = self.connections
        self._resume.set()
        deadline = time.monotonic() + timeout_s
        while self.connections == before and time.monotonic() < deadline:
            time.sleep(0.02)

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)

    def _run(self) -> None:
        while not self._stop.is_set():
            headers = dict(self.headers)
            if self.last_id:
                headers["Last-Event-ID"] = self.last_id
            try:
                self._follow(headers)
            except (httpx.HTTPError, OSError, ValueError) as exc:
                self.errors.append(f"{type(exc).__name__}: {exc}"[:200])
            self._resume.clear()
            time.sleep(0.1)

    def _follow(self, headers: dict[str, str]) -> None:
        timeout = httpx.Timeout(10, read=5)  # the gateway sends a heartbeat every second
        with httpx.stream("GET", self.url, headers=headers, timeout=timeout) as answer:
            if answer.status_code != 200:
                self.errors.append(f"HTTP {answer.status_code}")
                return
            self.connections += 1
            self._open.set()
            event_id, data = "", []
            for line in answer.iter_lines():
                if line.startswith("id:"):
                    event_id = line[3:].strip()
                elif line.startswith("data:"):
                    data.append(line[5:].strip())
                elif not line and data:
                    found = json.loads("\n".join(data))
                    self.seen.append(Seen(self.connections, event_id, found["receipt_id"]))
                    event_id, data = "", []
                if self._stop.is_set() or self._resume.is_set():
                    return
