"""Approvals across two gateway replicas on real Redis and granian, with real services.

Each call is held by replica A and settled at replica B: approved (A answers allow), denied,
or left to time out (A answers deny; a late approval at B changes nothing). Every settlement
has its own signed receipt pointing at the escalated one, in the audit log and on /events.
A local HTTP receiver plays the webhook, Slack and PagerDuty, checking shapes and the HMAC.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis

from tests.approvals_receiver import Receiver
from tests.redis_server import RedisUnavailable, unavailable
from vectimus.core.audit.reader import query
from vectimus.core.audit.record import AuditRecord
from vectimus.core.receipts.keys import Keyring, keyring_dir
from vectimus.core.receipts.receipt import verify_receipt
from vectimus.core.receipts.store import iter_receipts

from .conftest import KEY, SSE, Gateway, start_gateway, start_services

OPS_KEY = "ops-approver-key-0123456789"
TIMEOUT_S = 4


@dataclass
class Stack:
    holder: Gateway
    approver: Gateway
    receiver: Receiver
    home: Path


@pytest.fixture(scope="module")
def stack(
    redis_session: str | RedisUnavailable, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Stack]:
    if isinstance(redis_session, RedisUnavailable):
        unavailable(redis_session.reason)
        raise AssertionError("unreachable")
    client = redis.Redis.from_url(redis_session)
    client.flushall()
    client.close()
    home = tmp_path_factory.mktemp("approvals")
    receiver = Receiver().start()
    services = start_services(redis_session, home, ("evaluator", "receipt-signer", "audit-sink"))
    env = {
        "VECTIMUS_API_KEYS": f"tester:{KEY},ops:{OPS_KEY}:approver",
        "VECTIMUS_ESCALATION_MODE": "approval",
        "VECTIMUS_ESCALATION_TIMEOUT_SECONDS": str(TIMEOUT_S),
        "VECTIMUS_EVAL_DEADLINE_MS": "3000",
        **receiver.environ(),
    }
    gateways: list[Gateway] = []
    try:
        for _ in range(2):
            gateways.append(start_gateway(home, "--redis-url", redis_session, **env))
        for gateway in gateways:
            gateway.wait("/ready", timeout=30)
        yield Stack(gateways[0], gateways[1], receiver, home)
    finally:
        for gateway in gateways:
            gateway.stop()
        for service in services:
            service.stop()
        receiver.stop()


def escalating(session: str) -> dict[str, Any]:
    """A subagent with a 500-turn budget, as Claude Code's HTTP hook sends it (agent-002)."""
    return {
        "session_id": session,
        "cwd": "/w",
        "hook_event_name": "PreToolUse",
        "tool_name": "Task",
        "tool_input": {"description": "d", "prompt": "review", "max_turns": 500},
    }


class Held:
    def __init__(self, gateway: Gateway, session: str) -> None:
        self.answer: httpx.Response | None = None
        self.thread = threading.Thread(
            target=lambda: setattr(self, "answer", gateway.post(escalating(session))), daemon=True
        )
        self.thread.start()

    def result(self) -> dict[str, Any]:
        self.thread.join(30)
        assert self.answer is not None and self.answer.status_code == 200
        found: dict[str, Any] = self.answer.json()
        return found


def settle(gateway: Gateway, receipt_id: str, decision: str) -> httpx.Response:
    return httpx.post(
        f"{gateway.url}/approvals/{receipt_id}",
        json={"decision": decision, "approver": "Dana", "note": "checked the diff"},
        headers={"Authorization": f"Bearer {OPS_KEY}"},
        timeout=10,
    )


def audit_record(home: Path, receipt_id: str, timeout_s: float = 15) -> AuditRecord:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if (home / "logs").is_dir():
            for record in query(home / "logs"):
                if record.receipt_id == receipt_id:
                    return record
        time.sleep(0.1)
    raise AssertionError(f"no audit record for {receipt_id}")


def check_trail(stack: Stack, sse: SSE, escalated: str, answer: dict[str, Any]) -> None:
    """The settlement's signed receipt, audit record and event all point at ``escalated``."""
    settled = answer["receipt_id"]
    record = audit_record(stack.home, settled)
    assert record.decision.escalation_of == escalated
    assert record.decision.decision == answer["decision"]
    assert audit_record(stack.home, escalated).decision.decision == "escalate"
    [receipt] = [r for r in iter_receipts(stack.home / "receipts") if r.receipt_id == settled]
    assert receipt.escalation_of == escalated
    assert verify_receipt(receipt, Keyring(keyring_dir(stack.home))).ok
    events = [data for _, data in sse.take(2, timeout=15)]
    assert {e["receipt_id"]: e["escalation_of"] for e in events} == {
        escalated: "",
        settled: escalated,
    }


def test_approved_at_the_other_replica(stack: Stack) -> None:
    session = uuid.uuid4().hex
    sse = SSE(f"{stack.approver.url}/events")
    try:
        held = Held(stack.holder, session)
        escalated = stack.receiver.escalated(session)
        assert held.thread.is_alive()
        approval = settle(stack.approver, escalated, "allow")
        assert approval.status_code == 200, approval.text
        answer = held.result()
        assert answer["decision"] == "allow"
        assert answer["hookSpecificOutput"]["permissionDecision"] == "allow"
        assert answer["escalation_of"] == escalated
        assert approval.json()["receipt_id"] == answer["receipt_id"]
        check_trail(stack, sse, escalated, answer)
    finally:
        sse.close()
    assert stack.receiver.problems == []
    kinds = {m.kind for m in stack.receiver.messages if m.body.get("session_id") == session}
    kinds |= {
        m.kind
        for m in stack.receiver.of("slack") + stack.receiver.of("pagerduty")
        if escalated in json.dumps(m.body)
    }
    assert kinds == {"webhook", "slack", "pagerduty"}


def test_denied_at_the_other_replica(stack: Stack) -> None:
    session = uuid.uuid4().hex
    sse = SSE(f"{stack.approver.url}/events")
    try:
        held = Held(stack.holder, session)
        escalated = stack.receiver.escalated(session)
        assert settle(stack.approver, escalated, "deny").status_code == 200
        answer = held.result()
        assert answer["decision"] == "deny"
        assert "Dana (key ops) refused the escalation: checked the diff" in answer["reason"]
        check_trail(stack, sse, escalated, answer)
        again = settle(stack.holder, escalated, "allow")
        assert again.status_code == 409 and again.json()["error"] == "already-decided"
    finally:
        sse.close()
    assert stack.receiver.problems == []


def test_nobody_decides_in_time(stack: Stack) -> None:
    session = uuid.uuid4().hex
    sse = SSE(f"{stack.approver.url}/events")
    try:
        started = time.monotonic()
        held = Held(stack.holder, session)
        escalated = stack.receiver.escalated(session)
        answer = held.result()
        waited = time.monotonic() - started
        assert TIMEOUT_S - 0.5 < waited < TIMEOUT_S + 5
        assert answer["decision"] == "deny"
        assert f"no approver decided within {TIMEOUT_S} s" in answer["reason"]
        check_trail(stack, sse, escalated, answer)
        late = settle(stack.approver, escalated, "allow")
        assert late.status_code == 409 and late.json()["error"] == "escalation-timed-out"
        assert "changes nothing" in late.json()["message"]
    finally:
        sse.close()
    assert stack.receiver.problems == []
