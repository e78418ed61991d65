"""`vectimus server start` embedded (no Redis): one process, every endpoint, over HTTP."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator

import httpx
import pytest

from .conftest import AUTH, SSE, Gateway, bash, start_gateway

pytestmark = [pytest.mark.integration, pytest.mark.timeout(60)]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gateway]:
    home = tmp_path_factory.mktemp("embedded")
    gateway = start_gateway(home, "--workers", "2")
    try:
        gateway.wait("/ready")
        yield gateway
    finally:
        gateway.stop()


def test_one_worker_is_forced_without_redis(server: Gateway) -> None:
    assert "serves with 1 worker, not 2" in server.proc.output()


def test_auth_and_open_health_endpoints(server: Gateway) -> None:
    no_key = httpx.post(f"{server.url}/evaluate", content=json.dumps(bash("ls")), timeout=5)
    assert no_key.status_code == 401
    assert no_key.json()["error"] == "missing-api-key"
    wrong = server.post(bash("ls"), headers={"Authorization": "Bearer nope"})
    assert (wrong.status_code, wrong.json()["error"]) == (401, "bad-api-key")
    for path in ("/policies", "/metrics", "/events"):
        assert server.get(path, auth=False).status_code == 401, path
    for path in ("/health", "/healthz", "/ready"):
        assert server.get(path, auth=False).status_code == 200, path


def test_decisions(server: Gateway) -> None:
    allow = server.post(bash("ls -la"))
    assert allow.status_code == 200
    assert allow.json()["decision"] == "allow"
    assert allow.json()["degraded"] is False
    deny = server.post(bash("rm -rf /", hook=True)).json()
    assert deny["decision"] == "deny"
    assert deny["hookSpecificOutput"]["permissionDecision"] == "deny"
    assert deny["receipt_id"] in deny["reason"]


def test_bad_input(server: Gateway) -> None:
    too_big = server.post(b'{"x": "' + b"a" * (1024 * 1024 + 10) + b'"}')
    assert too_big.status_code == 413
    assert too_big.json()["error"] == "payload-too-large"
    broken = server.post(b'{"tool_name": ')
    assert broken.status_code == 400
    assert "not valid JSON" in broken.json()["message"]
    unknown = server.post(bash("ls"), headers={"X-Vectimus-Source": "emacs"})
    assert unknown.status_code == 400
    assert "cursor" in unknown.json()["valid_sources"]


def test_policies_health_metrics(server: Gateway) -> None:
    policies = server.get("/policies").json()
    assert policies["rule_count"] == len(policies["rules"]) > 0
    health = server.get("/health", auth=False).json()
    assert health["mode"] == "embedded"
    assert health["status"] == "ok"
    assert all(
        health["services"][s]["alive"] for s in ("evaluator", "receipt-signer", "audit-sink")
    )
    assert health["rule_count"] == policies["rule_count"]
    metrics = server.get("/metrics")
    assert metrics.headers["content-type"].startswith("text/plain")
    assert "vectimus_decisions_total{" in metrics.text
    assert 'vectimus_stream_pending{stream="vectimus:decisions",group="signers"}' in metrics.text


def test_sse_resumes_with_last_event_id_without_gaps(server: Gateway) -> None:
    stream = SSE(f"{server.url}/events")
    receipts = [server.post(bash(f"echo {n}")).json()["receipt_id"] for n in range(6)]
    first = stream.take(3)
    stream.close()
    assert [data["receipt_id"] for _, data in first] == receipts[:3]
    receipts += [server.post(bash(f"echo {n}")).json()["receipt_id"] for n in range(6, 9)]
    resumed = SSE(f"{server.url}/events", {"Last-Event-ID": first[-1][0]})
    rest = resumed.take(6)
    resumed.close()
    assert [data["receipt_id"] for _, data in rest] == receipts[3:]
    ids = [event_id for event_id, _ in first + rest]
    assert ids == sorted(ids, key=lambda i: tuple(int(p) for p in i.split("-")))
    assert rest[0][1]["caller"] == "tester"


def test_sse_filters_and_heartbeats(server: Gateway) -> None:
    stream = SSE(f"{server.url}/events?decision=deny&source=claude-code")
    server.post(bash("ls"))
    server.post(bash("ls"), headers={"X-Vectimus-Source": "cursor"})
    denied = server.post(bash("rm -rf ~")).json()
    [(_, event)] = stream.take(1)
    assert event["receipt_id"] == denied["receipt_id"]
    assert event["decision"] == "deny"
    time.sleep(1.3)  # the heartbeat is 1 s in these tests
    stream.close()
    assert "heartbeat" in stream.comments
    assert stream.items.empty()


def test_sse_filters_by_rule_and_principal(server: Gateway) -> None:
    denied = server.post(bash("rm -rf /")).json()
    rule = denied["matched_policy_ids"][0]
    by_rule = SSE(f"{server.url}/events?rule={rule}")
    by_key = SSE(f"{server.url}/events?principal=nobody,tester&decision=allow")
    allowed = server.post(bash("ls")).json()
    again = server.post(bash("rm -rf /")).json()
    [(_, event)] = by_rule.take(1)
    assert event["receipt_id"] == again["receipt_id"]
    assert rule in event["matched_policy_ids"]
    [(_, event)] = by_key.take(1)  # the key's name ("tester") is the caller
    assert event["receipt_id"] == allowed["receipt_id"]
    by_rule.close()
    by_key.close()


def test_bad_sse_requests(server: Gateway) -> None:
    assert server.get("/events?decision=maybe").status_code == 400
    assert server.get("/events?source=emacs").status_code == 400
    too_many = ",".join(f"r{n}" for n in range(40))
    assert server.get(f"/events?rule={too_many}").json()["error"] == "bad-filter"
    bad = httpx.get(f"{server.url}/events", headers={"Last-Event-ID": "yesterday", **AUTH})
    assert bad.status_code == 400
