"""Fixtures for the shim and daemon tests: a private socket dir, a daemon, a fake gateway.

Every daemon a test starts runs on a socket in its own short temporary directory
(``XDG_RUNTIME_DIR``) and is stopped when the test ends.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from vectimus.client import control, locations

VECTIMUS = str(Path(sys.executable).with_name("vectimus"))
RM_ROOT = {
    "session_id": "s",
    "cwd": "/tmp",
    "hook_event_name": "PreToolUse",
    "tool_name": "Bash",
    "tool_input": {"command": "rm -rf /"},
}
SINGLE_RULE = """@id("test-no-rm-root")
@description("rm of the root")
forbid (principal, action == Vectimus::Action::"shell_command", resource)
when { context.program == "rm" && context.args.contains("/") };
"""


def run_hook(
    source: str,
    payload: dict[str, Any] | bytes,
    *,
    env: dict[str, str] | None = None,
    cwd: Path | None = None,
    timeout: float = 60,
) -> subprocess.CompletedProcess[bytes]:
    data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    return subprocess.run(
        [VECTIMUS, "hook", "--source", source],
        input=data,
        capture_output=True,
        env={**os.environ, **(env or {})},
        cwd=cwd or Path.cwd(),
        timeout=timeout,
        check=False,
    )


def vectimus(
    *args: str, env: dict[str, str] | None = None, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [VECTIMUS, *args],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        cwd=cwd or Path.cwd(),
        timeout=60,
        check=False,
    )


def wait_for(predicate: Any, timeout: float = 15.0, step: float = 0.05) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(step)
    return bool(predicate())


def stop_any_daemon() -> None:
    found = control.status(timeout=1.0)
    if found is None:
        return
    pid = int(found["pid"])
    os.kill(pid, signal.SIGTERM)
    if not wait_for(lambda: locations.socket_state(locations.socket_path()) == "missing", 10):
        os.kill(pid, signal.SIGKILL)


@pytest.fixture
def runtime_dir(monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A short private XDG_RUNTIME_DIR (socket paths are limited to about 100 bytes)."""
    path = Path(tempfile.mkdtemp(prefix="vx", dir="/tmp"))
    path.chmod(0o700)
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(path))
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
def daemon_env(runtime_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """The daemon enabled for hook calls; any daemon started is stopped afterwards."""
    monkeypatch.setenv("VECTIMUS_DAEMON", "1")
    monkeypatch.setenv("VECTIMUS_DAEMON_IDLE", "120")
    yield runtime_dir
    stop_any_daemon()


@pytest.fixture
def daemon(daemon_env: Path) -> dict[str, Any]:
    """A running daemon; its status."""
    return control.start_daemon()


@pytest.fixture
def single_rule(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """VECTIMUS_POLICY_DIR with one rule, test-no-rm-root (rm with / as an argument)."""
    directory = tmp_path / "policies"
    directory.mkdir()
    (directory / "rule.cedar").write_text(SINGLE_RULE)
    monkeypatch.setenv("VECTIMUS_POLICY_DIR", str(directory))
    return directory


class FakeGateway:
    """A stdlib HTTP server playing the gateway: answers per ``mode``, records requests."""

    def __init__(self, mode: str = "deny") -> None:
        self.mode = mode
        self.requests: list[tuple[dict[str, str], bytes]] = []
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *_args: object) -> None:
                return

            def do_GET(self) -> None:
                self._send(200, b'{"status": "ok"}')

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                gateway.requests.append(({k.lower(): v for k, v in self.headers.items()}, body))
                status, answer = gateway.answer()
                self._send(status, answer)

            def _send(self, status: int, body: bytes) -> None:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def answer(self) -> tuple[int, bytes]:
        decision = {
            "decision": "deny",
            "reason": "GATEWAY says no. Receipt: gw-1",
            "suggested_alternative": "",
            "matched_policy_ids": ["team-rule"],
            "receipt_id": "gw-1",
            "evaluation_time_ms": 0.2,
        }
        mode = self.mode
        if mode == "deny":
            return 200, json.dumps(decision).encode()
        if mode == "allow":
            return 200, json.dumps({**decision, "decision": "allow", "reason": "ok"}).encode()
        if mode == "escalate":
            return 200, json.dumps({**decision, "decision": "escalate"}).encode()
        if mode == "garbage":
            return 200, b"<html>all good</html>"
        if mode == "allow-ish":
            return 200, b'{"decision": "allow"}'
        if mode == "unknown-word":
            return 200, json.dumps({**decision, "decision": "permit"}).encode()
        if mode == "slow":
            time.sleep(3)
            return 200, json.dumps({**decision, "decision": "allow"}).encode()
        return int(mode), b'{"error": "boom"}'

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def gateway() -> Iterator[FakeGateway]:
    fake = FakeGateway()
    yield fake
    fake.close()


def closed_port_url() -> str:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"
