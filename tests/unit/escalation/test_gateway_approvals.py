"""Approval mode in one gateway (embedded, in-process bus), with a real local receiver.

The held request runs in a thread; the test plays the approver. The two-replica version, on
real Redis and granian, is tests/integration/approvals/test_replicas.py.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from litestar.testing import TestClient

from tests.approvals_receiver import Receiver
from tests.unit.gateway.conftest import evaluator_service
from tests.unit.gateway.test_app import records
from vectimus.core.bus.memory import MemoryBus
from vectimus.core.errors import ConfigError
from vectimus.core.escalation import EscalationSettings
from vectimus.gateway.app import build_app
from vectimus.gateway.core import GatewayCore
from vectimus.gateway.policies import PolicyState
from vectimus.gateway.settings import ServerSettings
from vectimus.gateway.wiring import local_evaluation

HOOK_KEY = "hook-key-0123456789"
OPS_KEY = "ops-key-0123456789"
KEYS = [
    {"name": "hook", "key": HOOK_KEY},
    {"name": "ops", "key": OPS_KEY, "roles": ["approver"]},
]
# A subagent with a 500-turn budget: vectimus-agent-002 escalates it.
ESCALATING = {
    "session_id": "sess-approval",
    "cwd": "/w",
    "hook_event_name": "PreToolUse",
    "tool_name": "Task",
    "tool_input": {"description": "d", "prompt": "p", "max_turns": 500},
}


def auth(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    found = Receiver().start()
    try:
        yield found
    finally:
        found.stop()


def escalation(receiver: Receiver, **changes: Any) -> EscalationSettings:
    raw: dict[str, Any] = {
        "mode": "approval",
        "timeout_seconds": 10,
        "public_url": "https://gateway.example",
        "webhook": {"url": receiver.url("webhook"), "secret": receiver.secret},
        "slack": {"webhook_url": receiver.url("slack")},
        "pagerduty": {"routing_key": "rk", "url": receiver.url("pagerduty")},
    }
    raw.update(changes)
    return EscalationSettings.model_validate(raw)


@pytest.fixture
def start() -> Iterator[Any]:
    clients: list[TestClient[Any]] = []

    def make(settings: EscalationSettings) -> tuple[TestClient[Any], GatewayCore]:
        server = ServerSettings(eval_deadline_ms=2000, api_keys=KEYS)  # type: ignore[arg-type]
        core = GatewayCore(
            settings=server,
            bus=MemoryBus(),
            policies=PolicyState.for_settings(server, {}),
            local=local_evaluation(),
            services=(evaluator_service(),),
            escalation=settings,
        )
        client = TestClient(app=build_app(core))
        client.__enter__()
        clients.append(client)
        return client, core

    yield make
    for client in clients:
        client.__exit__(None, None, None)


class Held:
    """POST /evaluate in a thread: it blocks until the call is settled."""

    def __init__(self, client: TestClient[Any]) -> None:
        self.answer: httpx.Response | None = None
        body = json.dumps(ESCALATING).encode()

        def run() -> None:
            self.answer = client.post("/evaluate", content=body, headers=auth(HOOK_KEY))

        self.thread = threading.Thread(target=run)
        self.thread.start()

    def result(self, timeout_s: float = 20) -> dict[str, Any]:
        self.thread.join(timeout_s)
        assert self.answer is not None, "the held request never answered"
        assert self.answer.status_code == 200
        found: dict[str, Any] = self.answer.json()
        return found


def test_approved_by_an_approver(start: Any, receiver: Receiver) -> None:
    client, core = start(escalation(receiver))
    held = Held(client)
    receipt_id = receiver.escalated()
    assert held.thread.is_alive()  # still held
    approval = client.post(
        f"/approvals/{receipt_id}",
        json={"decision": "allow", "approver": "Alice", "note": "planned migration"},
        headers=auth(OPS_KEY),
    )
    assert approval.status_code == 200, approval.text
    answer = held.result()
    assert answer["decision"] == "allow"
    assert answer["escalation_of"] == receipt_id
    assert answer["hookSpecificOutput"]["permissionDecision"] == "allow"
    assert "Approved by Alice (key ops): planned migration" in answer["reason"]
    assert approval.json()["receipt_id"] == answer["receipt_id"]
    # The trail: the escalation, then its settlement pointing back at it.
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and len(records(client, core)) < 2:
        time.sleep(0.05)
    escalated, settled = records(client, core)
    assert escalated.decision.receipt_id == receipt_id
    assert escalated.decision.decision == "escalate"
    assert settled.decision.escalation_of == receipt_id
    assert settled.decision.receipt_id == answer["receipt_id"] and settled.caller == "ops"
    assert settled.event == escalated.event
    # Every approver was told, in its own format, and PagerDuty's incident is closed.
    while time.monotonic() < deadline and len(receiver.of("pagerduty")) < 2:
        time.sleep(0.05)
    assert receiver.problems == []
    assert [m.body["event_action"] for m in receiver.of("pagerduty")] == ["trigger", "resolve"]
    assert len(receiver.of("slack")) == 1


def test_denied_by_an_approver_and_settled_once(start: Any, receiver: Receiver) -> None:
    client, _ = start(escalation(receiver))
    held = Held(client)
    receipt_id = receiver.escalated()
    body = {"decision": "deny", "approver": "Bob", "note": "not today"}
    assert client.post(f"/approvals/{receipt_id}", json=body, headers=auth(OPS_KEY)).is_success
    answer = held.result()
    assert answer["decision"] == "deny"
    assert answer["hookSpecificOutput"]["permissionDecision"] == "deny"
    again = client.post(
        f"/approvals/{receipt_id}", json={**body, "decision": "allow"}, headers=auth(OPS_KEY)
    )
    assert again.status_code == 409 and again.json()["error"] == "already-decided"
    assert "changes nothing" in again.json()["message"]


def test_nobody_decides_in_time(start: Any, receiver: Receiver) -> None:
    client, _ = start(escalation(receiver, timeout_seconds=0.5))
    held = Held(client)
    receipt_id = receiver.escalated()
    answer = held.result()
    assert answer["decision"] == "deny"
    assert "no approver decided within 0.5 s" in answer["reason"]
    late = client.post(
        f"/approvals/{receipt_id}",
        json={"decision": "allow", "approver": "Alice"},
        headers=auth(OPS_KEY),
    )
    assert late.status_code == 409 and late.json()["error"] == "escalation-timed-out"
    assert late.json()["receipt_id"] == answer["receipt_id"]


def test_no_approver_reachable_denies_at_once(start: Any, receiver: Receiver) -> None:
    receiver.failing.update({"webhook", "slack", "pagerduty"})
    client, _ = start(escalation(receiver, timeout_seconds=30))
    started = time.monotonic()
    answer = Held(client).result()
    assert time.monotonic() - started < 10
    assert answer["decision"] == "deny"
    assert "no approver could be notified" in answer["reason"]


def test_who_may_approve(start: Any, receiver: Receiver) -> None:
    client, _ = start(escalation(receiver))
    held = Held(client)
    receipt_id = receiver.escalated()
    body = {"decision": "allow", "approver": "the agent"}
    own_key = client.post(f"/approvals/{receipt_id}", json=body, headers=auth(HOOK_KEY))
    assert own_key.status_code == 403 and own_key.json()["error"] == "not-an-approver"
    assert client.post(f"/approvals/{receipt_id}", json=body).status_code == 401
    assert client.get(f"/approvals/{receipt_id}", headers=auth(HOOK_KEY)).status_code == 403
    shown = client.get(f"/approvals/{receipt_id}", headers=auth(OPS_KEY)).json()
    assert shown == {"receipt_id": receipt_id, "status": "pending"}
    bad = client.post(
        f"/approvals/{receipt_id}", json={"decision": "yes", "approver": "x"}, headers=auth(OPS_KEY)
    )
    assert bad.status_code == 400 and bad.json()["error"] == "bad-approval"
    unknown = client.post("/approvals/no-such-id", json=body, headers=auth(OPS_KEY))
    assert unknown.status_code == 404 and unknown.json()["error"] == "unknown-escalation"
    assert held.thread.is_alive()  # none of that settled it
    deny = {"decision": "deny", "approver": "Alice"}
    client.post(f"/approvals/{receipt_id}", json=deny, headers=auth(OPS_KEY))
    assert held.result()["decision"] == "deny"


def test_ask_mode_answers_ask_and_holds_nothing(start: Any, receiver: Receiver) -> None:
    client, _ = start(EscalationSettings())
    answer = client.post(
        "/evaluate", content=json.dumps(ESCALATING).encode(), headers=auth(HOOK_KEY)
    ).json()
    assert answer["decision"] == "escalate"
    assert answer["hookSpecificOutput"]["permissionDecision"] == "ask"
    assert receiver.messages == []


def test_approval_mode_needs_an_approver_key(receiver: Receiver) -> None:
    server = ServerSettings(api_keys=[KEYS[0]])  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="no API key has the approver role"):
        GatewayCore(
            settings=server,
            bus=MemoryBus(),
            policies=PolicyState.for_settings(server, {}),
            local=local_evaluation(),
            escalation=escalation(receiver),
        )
