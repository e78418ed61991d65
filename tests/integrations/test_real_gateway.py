"""The Governor against the real gateway (`vectimus server start`, embedded mode, granian):
framework calls are decided there, under their own source, and fall back locally without it."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from vectimus.integrations import Governor

pytestmark = pytest.mark.integration

VECTIMUS = str(Path(sys.executable).with_name("vectimus"))
KEY = "integrations-key-0123456789"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def gateway(tmp_path: Path) -> Iterator[str]:
    home = tmp_path / "gateway-home"
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("VECTIMUS_")}
    env.update(VECTIMUS_HOME=str(home), VECTIMUS_DAEMON="0", VECTIMUS_API_KEYS=f"agents:{KEY}")
    log = (tmp_path / "gateway.log").open("wb")
    process = subprocess.Popen(
        [VECTIMUS, "server", "start", "--port", str(port)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            assert process.poll() is None, (tmp_path / "gateway.log").read_text()
            try:
                if httpx.get(f"{url}/ready", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, (tmp_path / "gateway.log").read_text()
            time.sleep(0.1)
        yield url
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)
        log.close()


@pytest.mark.parametrize("source", ["langgraph", "google-adk"])
def test_decided_by_the_gateway(project: Path, gateway: str, source: str) -> None:
    governor = Governor(source, server_url=gateway, api_key=KEY)
    denied = governor.check("terminal", {"command": "rm -rf /"}, session_id="s1")
    assert (denied.via, denied.decision.decision) == ("gateway", "deny")
    assert "vectimus-destructive-001" in denied.decision.matched_policy_ids
    assert "vectimus-destructive-001" in denied.message
    allowed = governor.check("get_weather", {"city": "Paris"})
    assert (allowed.via, allowed.decision.decision) == ("gateway", "allow")
    mcp = governor.check("create_issue", {"title": "x"}, mcp_server="github")
    assert (mcp.via, mcp.decision.action_type) == ("gateway", "mcp_tool")
    assert "vectimus-mcp-001" in mcp.decision.matched_policy_ids
    assert governor.gateway is not None and governor.gateway.failures == 0


def test_a_wrong_key_falls_back_to_local(project: Path, gateway: str) -> None:
    governor = Governor("langgraph", server_url=gateway, api_key="not-the-key", record=False)
    check = governor.check("terminal", {"command": "rm -rf /"})
    assert (check.via, check.decision.decision) == ("local", "deny")
    assert governor.gateway is not None and "401" in governor.gateway.last_problem
