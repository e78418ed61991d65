"""The Governor alone: gateway first with local fallback, failing closed, reloading config."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from vectimus.core.events import Decision
from vectimus.integrations import Governor, agent_message

from .conftest import read_trail

RM_RF = {"command": "rm -rf /"}


class FakeGateway:
    """A local HTTP server answering POST /evaluate with whatever a test sets."""

    def __init__(self) -> None:
        self.status = 200
        self.body = b"this is not json"
        self.requests: list[dict[str, Any]] = []
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                gateway.requests.append(
                    {
                        "path": self.path,
                        "headers": dict(self.headers),
                        "body": json.loads(self.rfile.read(length)),
                    }
                )
                self.send_response(gateway.status)
                self.send_header("Content-Length", str(len(gateway.body)))
                self.end_headers()
                self.wfile.write(gateway.body)

            def log_message(self, *args: object) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def fake_gateway() -> Iterator[FakeGateway]:
    gateway = FakeGateway()
    yield gateway
    gateway.close()


GARBAGE = {
    "not json": (200, b"this is not json"),
    "a list": (200, b"[1, 2]"),
    "an allow without reason or receipt": (200, b'{"decision": "allow"}'),
    "an unknown decision": (200, b'{"decision": "maybe", "reason": "r", "receipt_id": "x"}'),
    "a 500 with a decision": (500, b'{"decision": "allow", "reason": "r", "receipt_id": "x"}'),
    "a 401": (401, b'{"error": "bad-api-key"}'),
}


@pytest.mark.parametrize("answer", sorted(GARBAGE))
def test_gateway_garbage_falls_back_to_local(
    project: Path, fake_gateway: FakeGateway, answer: str
) -> None:
    fake_gateway.status, fake_gateway.body = GARBAGE[answer]
    governor = Governor("langgraph", server_url=fake_gateway.url, api_key="k3y", timeout=2)
    check = governor.check("terminal", RM_RF, session_id="t1", agent_name="ops")
    assert (check.via, check.decision.decision) == ("local", "deny")
    assert "vectimus-destructive-001" in check.message
    assert governor.gateway is not None and governor.gateway.failures == 1
    (request,) = fake_gateway.requests
    assert request["path"] == "/evaluate"
    assert request["headers"]["X-Vectimus-Source"] == "langgraph"
    assert request["headers"]["Authorization"] == "Bearer k3y"
    assert request["body"]["tool_name"] == "terminal"
    assert request["body"]["tool_input"] == RM_RF
    assert request["body"]["session_id"] == "t1"
    assert request["body"]["agent_name"] == "ops"
    # The gateway rests after a failure: the next call does not wait on it again.
    assert governor.check("get_weather", {"city": "Oslo"}).via == "local"
    assert len(fake_gateway.requests) == 1
    assert governor.flush(10)
    assert len(read_trail(project).receipts) == 2  # local decisions leave a local trail


def test_gateway_down_falls_back_to_local(project: Path, fake_gateway: FakeGateway) -> None:
    url = fake_gateway.url
    fake_gateway.close()
    governor = Governor("google-adk", server_url=url, timeout=1, record=False)
    check = governor.check("bash", RM_RF)
    assert (check.via, check.decision.decision) == ("local", "deny")


async def test_async_gateway_garbage_falls_back(project: Path, fake_gateway: FakeGateway) -> None:
    governor = Governor("google-adk", server_url=fake_gateway.url, timeout=2, record=False)
    check = await governor.acheck("bash", RM_RF)
    assert (check.via, check.decision.decision) == ("local", "deny")
    assert len(fake_gateway.requests) == 1


def test_trusted_gateway_answer_is_used(project: Path, fake_gateway: FakeGateway) -> None:
    fake_gateway.body = json.dumps(
        {
            "decision": "deny",
            "reason": "Vectimus blocked this: [team-007] no. Receipt: gw-1",
            "suggested_alternative": "ask the team",
            "matched_policy_ids": ["team-007"],
            "receipt_id": "gw-1",
            "evaluation_time_ms": 0.3,
        }
    ).encode()
    governor = Governor("langgraph", server_url=fake_gateway.url)
    check = governor.check("mcp__github__delete_repo", {"repo": "x"})
    assert check.via == "gateway"
    assert check.decision.receipt_id == "gw-1"
    assert check.decision.matched_policy_ids == ("team-007",)
    assert check.decision.action_type == "mcp_tool"
    body = fake_gateway.requests[0]["body"]
    assert body["tool_name"] == "mcp__github__delete_repo"
    assert governor.flush(10)
    assert read_trail(project).receipts == {}  # the gateway keeps the trail of its decisions


def test_server_url_from_the_environment(
    project: Path, fake_gateway: FakeGateway, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("VECTIMUS_SERVER_URL", fake_gateway.url)
    monkeypatch.setenv("VECTIMUS_API_KEY", "from-env")
    Governor("langgraph", record=False).check("bash", {"command": "ls"})
    assert fake_gateway.requests[0]["headers"]["Authorization"] == "Bearer from-env"
    assert Governor("langgraph", server_url="", record=False).gateway is None


def test_broken_config_denies_then_recovers(project: Path, vectimus_home: Path) -> None:
    config = vectimus_home / "config.toml"
    config.write_text("[mcp]\nallowed_servers = 7\n")
    governor = Governor("langgraph", server_url="", reload_interval=0)
    check = governor.check("get_weather", {"city": "Oslo"})
    assert check.decision.decision == "deny"
    assert "could not be loaded" in check.message
    config.write_text('[mcp]\nallowed_servers = ["github"]\n')
    assert governor.check("get_weather", {"city": "Oslo"}).allowed
    assert governor.check("github__create_issue", {"title": "x"}).allowed
    assert governor.flush(10)
    trail = read_trail(project)
    # The refusal is on the record too (its receipt under VECTIMUS_HOME: no project config).
    assert len(trail.receipts) == 2 and len(trail.records) == 3
    refusal = next(r for r in trail.records.values() if r.receipt_id not in trail.receipts)
    assert refusal.decision.decision == "deny"
    assert (vectimus_home / "receipts").is_dir()


def test_config_change_is_picked_up(project: Path, vectimus_home: Path) -> None:
    governor = Governor("langgraph", server_url="", record=False, reload_interval=0)
    assert not governor.check("github__create_issue", {}).allowed
    (vectimus_home / "config.toml").write_text('[mcp]\nallowed_servers = ["github"]\n')
    assert governor.check("github__create_issue", {}).allowed


def test_identity_is_an_agent(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VECTIMUS_PRINCIPAL", "alice@example.com")
    check = Governor("langgraph", server_url="", record=False).check("ls", {})
    identity = check.event.identity
    assert (identity.principal, identity.identity_type) == ("alice@example.com", "agent")


def test_a_failed_trail_write_is_counted_not_raised(
    project: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("")
    monkeypatch.setenv("VECTIMUS_AUDIT_DIR", str(blocker / "logs"))
    governor = Governor("langgraph", server_url="")
    assert governor.check("bash", RM_RF).decision.decision == "deny"
    assert governor.flush(10)
    assert governor.trail is not None and governor.trail.failed == 1
    governor.close()  # logs that the audit log cannot be closed; never raises


def test_unknown_source_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown source"):
        Governor("crewai")


def test_agent_message_adds_a_missing_alternative() -> None:
    decision = Decision(
        decision="deny",
        reason="Vectimus blocked this: [x] no. Receipt: r",
        action_type="shell_command",
        suggested_alternative="do y",
        receipt_id="r",
    )
    assert agent_message(decision).endswith("Suggested alternative: do y")
    inline = Decision(decision="deny", reason="blocked. Instead: do y", action_type="shell_command")
    assert agent_message(inline) == "blocked. Instead: do y"


def test_trail_waits_for_a_quiet_caller_and_flush_skips_the_wait(project: Path) -> None:
    from vectimus.integrations.core import Trail

    check = Governor("langgraph", server_url="", record=False).check("bash", RM_RF)
    trail = Trail(quiet_s=60, max_delay_s=60)
    trail.submit(None, check.event, check.decision)
    time.sleep(0.2)
    assert trail.recorded == 0  # the caller has not been quiet for 60 s yet
    started = time.monotonic()
    assert trail.flush(10) and trail.recorded == 1
    assert time.monotonic() - started < 5
    quick = Trail(quiet_s=0.01, max_delay_s=60)
    quick.submit(None, check.event, check.decision)
    deadline = time.monotonic() + 5
    while quick.recorded == 0 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert quick.recorded == 1  # written on its own once the caller went quiet
    trail.close()
    quick.close()
    with pytest.raises(RuntimeError, match="closed"):
        trail.submit(None, check.event, check.decision)


def test_server_url_from_the_user_config(
    project: Path, fake_gateway: FakeGateway, vectimus_home: Path
) -> None:
    (vectimus_home / "config.toml").write_text(f'[server]\nurl = "{fake_gateway.url}"\n')
    check = Governor("google-adk", record=False).check("bash", {"command": "ls"})
    assert check.via == "local"  # the fake gateway answers garbage
    assert fake_gateway.requests[0]["headers"]["X-Vectimus-Source"] == "google-adk"
