"""Real processes: `vectimus server start` on granian, `vectimus service ...` workers, Redis.

Every process gets its own VECTIMUS_HOME and a free port; its output goes to a file that a
failing test prints. SSE streams are read by a thread each, into a queue.
"""

from __future__ import annotations

import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.redis_server import free_port

VECTIMUS = str(Path(sys.executable).with_name("vectimus"))
KEY = "integration-key-0123456789"
AUTH = {"Authorization": f"Bearer {KEY}"}


def base_env(home: Path, **extra: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("VECTIMUS_") and k not in {"REDIS_URL", "PYTHONDONTWRITEBYTECODE"}
    }
    env.update(
        VECTIMUS_HOME=str(home),
        VECTIMUS_DAEMON="0",
        VECTIMUS_API_KEYS=f"tester:{KEY}",
        VECTIMUS_SSE_HEARTBEAT_S="1",
        VECTIMUS_EVAL_DEADLINE_MS="400",
        VECTIMUS_HEARTBEAT_TTL_S="2.5",
    )
    env.update(extra)
    return env


@dataclass
class Proc:
    argv: list[str]
    env: dict[str, str]
    log: Path
    process: subprocess.Popen[bytes] | None = None

    def start(self) -> Proc:
        handle = self.log.open("ab")
        self.process = subprocess.Popen(
            self.argv, env=self.env, stdout=handle, stderr=subprocess.STDOUT, start_new_session=True
        )
        handle.close()
        return self

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 10.0) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(sig)
        try:
            self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=5)

    def output(self) -> str:
        return self.log.read_text(errors="replace")[-6000:] if self.log.exists() else ""


@dataclass
class Gateway:
    url: str
    proc: Proc
    services: list[Proc] = field(default_factory=list)

    def post(self, payload: Any, *, headers: dict[str, str] | None = None) -> httpx.Response:
        body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        return httpx.post(
            f"{self.url}/evaluate", content=body, headers={**AUTH, **(headers or {})}, timeout=10
        )

    def get(self, path: str, *, auth: bool = True) -> httpx.Response:
        return httpx.get(f"{self.url}{path}", headers=AUTH if auth else {}, timeout=10)

    def wait(self, path: str = "/healthz", *, status: int = 200, timeout: float = 20.0) -> None:
        deadline = time.monotonic() + timeout
        last = ""
        while time.monotonic() < deadline:
            if self.proc.process is not None and self.proc.process.poll() is not None:
                raise AssertionError(f"the gateway exited:\n{self.proc.output()}")
            try:
                answer = httpx.get(f"{self.url}{path}", timeout=2)
                if answer.status_code == status:
                    return
                last = f"{answer.status_code} {answer.text}"
            except httpx.TransportError as exc:
                last = repr(exc)
            time.sleep(0.05)
        raise AssertionError(
            f"{path} never answered {status} (last: {last}):\n{self.proc.output()}"
        )

    def stop(self) -> None:
        self.proc.stop()
        for service in self.services:
            service.stop()


def start_services(redis_url: str, home: Path, names: tuple[str, ...]) -> list[Proc]:
    procs = []
    for name in names:
        env = base_env(home, VECTIMUS_LOG_LEVEL="warning")
        argv = [VECTIMUS, "service", name, "--redis-url", redis_url, "--consumer", f"it-{name}"]
        procs.append(Proc(argv, env, home / f"{name}.log").start())
    return procs


def start_gateway(home: Path, *args: str, **env: str) -> Gateway:
    port = free_port()
    argv = [VECTIMUS, "server", "start", "--port", str(port), *args]
    proc = Proc(argv, base_env(home, **env), home / "gateway.log").start()
    gateway = Gateway(f"http://127.0.0.1:{port}", proc)
    gateway.wait("/healthz")
    return gateway


class SSE:
    """One /events connection read by a thread: events (id, data) and comments, in order."""

    def __init__(self, url: str, headers: dict[str, str] | None = None) -> None:
        self.items: queue.Queue[tuple[str, Any]] = queue.Queue()
        self.comments: list[str] = []
        self.status = 0
        self._connected = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._read, args=(url, headers or {}), daemon=True)
        self._thread.start()
        if not self._connected.wait(10):
            raise AssertionError("the SSE stream did not open")

    def _read(self, url: str, headers: dict[str, str]) -> None:
        timeout = httpx.Timeout(10, read=5)
        with httpx.stream("GET", url, headers={**AUTH, **headers}, timeout=timeout) as answer:
            self.status = answer.status_code
            event_id, data = None, []
            for line in answer.iter_lines():
                if line.startswith(":"):
                    self.comments.append(line[1:].strip())
                    self._connected.set()
                elif line.startswith("id:"):
                    event_id = line[3:].strip()
                elif line.startswith("data:"):
                    data.append(line[5:].strip())
                elif not line and data:
                    self.items.put((event_id or "", json.loads("\n".join(data))))
                    event_id, data = None, []
                if self._stop.is_set():
                    return
        self._connected.set()

    @property
    def gateway_id(self) -> str:
        hello = next(c for c in self.comments if c.startswith("connected"))
        return hello.partition("gateway=")[2]

    def take(self, count: int, timeout: float = 10.0) -> list[tuple[str, Any]]:
        found: list[tuple[str, Any]] = []
        deadline = time.monotonic() + timeout
        while len(found) < count:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"got {len(found)} of {count} events: {found}")
            try:
                found.append(self.items.get(timeout=remaining))
            except queue.Empty:
                continue
        return found

    def close(self) -> None:
        self._stop.set()


@pytest.fixture
def home(tmp_path: Path) -> Path:
    return tmp_path


@pytest.fixture(autouse=True)
def _show_logs_on_failure(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[None]:
    yield
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed:
        for log in sorted(tmp_path.glob("*.log")):
            sys.stderr.write(f"\n===== {log.name}\n{log.read_text(errors='replace')[-4000:]}")


def bash(command: str, *, hook: bool = False) -> dict[str, Any]:
    payload: dict[str, Any] = {"session_id": "s", "cwd": "/tmp", "tool_name": "Bash"}
    if hook:
        payload["hook_event_name"] = "PreToolUse"
    payload["tool_input"] = {"command": command}
    return payload


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    outcome = yield
    report = outcome.get_result()  # type: ignore[attr-defined]
    if report.when == "call":
        item.rep_call = report  # type: ignore[attr-defined]
