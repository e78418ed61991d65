"""Distributed mode: the gateway on granian, the services as processes, a real Redis."""

from __future__ import annotations

import json
import signal
import time
from pathlib import Path

import pytest

from .conftest import SSE, Gateway, bash, start_gateway, start_services

pytestmark = [pytest.mark.integration, pytest.mark.timeout(60)]
ALL = ("evaluator", "receipt-signer", "audit-sink")


def distributed(redis_url: str, home: Path, services: tuple[str, ...], *args: str) -> Gateway:
    procs = start_services(redis_url, home, services)
    try:
        gateway = start_gateway(home, "--redis-url", redis_url, *args)
    except BaseException:
        for proc in procs:
            proc.stop()
        raise
    gateway.services = procs
    return gateway


def test_two_workers_both_see_every_event(redis_url: str, home: Path) -> None:
    gateway = distributed(redis_url, home, ALL, "--workers", "2")
    try:
        gateway.wait("/ready", timeout=20)
        streams: dict[str, SSE] = {}
        for _ in range(40):  # the kernel spreads connections over the two workers
            stream = SSE(f"{gateway.url}/events")
            if stream.gateway_id in streams:
                stream.close()
            else:
                streams[stream.gateway_id] = stream
            if len(streams) == 2:
                break
        assert len(streams) == 2, "never reached the second worker"
        receipts = [gateway.post(bash(f"echo {n}")).json()["receipt_id"] for n in range(10)]
        for stream in streams.values():
            seen = [data["receipt_id"] for _, data in stream.take(10, timeout=15)]
            assert sorted(seen) == sorted(receipts)
            stream.close()
        health = gateway.get("/health").json()
        assert health["mode"] == "distributed"
        assert health["redis"]["connected"] is True
        assert health["degraded"] is False, json.dumps(health)
        metrics = gateway.get("/metrics").text
        assert 'vectimus_stream_lag{stream="vectimus:eval",group="evaluators"}' in metrics
    finally:
        gateway.stop()


def test_degraded_when_no_evaluator_is_alive(redis_url: str, home: Path) -> None:
    gateway = distributed(redis_url, home, ("receipt-signer", "audit-sink"))
    try:
        ready = gateway.get("/ready", auth=False)
        assert ready.status_code == 503
        assert "no evaluator is alive" in ready.json()["reason"]
        stream = SSE(f"{gateway.url}/events")
        answer = gateway.post(bash("rm -rf /", hook=True)).json()
        assert answer["degraded"] is True
        assert answer["decision"] == "deny"  # evaluated in-process, never an unevaluated allow
        assert answer["hookSpecificOutput"]["permissionDecision"] == "deny"
        [(_, event)] = stream.take(1, timeout=15)  # the trail still happens
        assert event["receipt_id"] == answer["receipt_id"]
        assert event["degraded"] is True
        stream.close()
        health = gateway.get("/health").json()
        assert health["degraded"] is True
        assert health["services"]["evaluator"]["alive"] is False
    finally:
        gateway.stop()


def test_an_evaluator_that_dies_is_covered_in_process(redis_url: str, home: Path) -> None:
    gateway = distributed(redis_url, home, ALL)
    try:
        gateway.wait("/ready", timeout=20)
        assert gateway.post(bash("ls")).json()["degraded"] is False
        evaluator = gateway.services[0]
        evaluator.stop(signal.SIGKILL)
        answers = [gateway.post(bash("rm -rf /")).json() for _ in range(3)]
        assert all(a["decision"] == "deny" for a in answers)
        assert answers[0]["degraded"] is True
        # Once the heartbeat expires /ready says so, with the reason.
        gateway.wait("/ready", status=503, timeout=15)
    finally:
        gateway.stop()


def test_unevaluable_hook_call_is_a_200_deny(redis_url: str, home: Path) -> None:
    broken = home / "packs" / "broken"
    broken.mkdir(parents=True)
    (broken / "pack.toml").write_text('name = "broken"\nversion = "1"\n')
    (broken / "bad.cedar").write_text("forbid (principal, action, resource) when { nope")
    gateway = distributed(redis_url, home, (), "--policy-dir", str(home / "packs"))
    try:
        ready = gateway.get("/ready", auth=False).json()
        assert "policies" in ready["reason"]
        assert "no evaluator is alive" in ready["reason"]
        hook = gateway.post(bash("ls", hook=True))
        assert hook.status_code == 200  # Claude Code would allow on any non-2xx
        assert hook.json()["decision"] == "deny"
        assert hook.json()["hookSpecificOutput"]["permissionDecision"] == "deny"
        api = gateway.post(bash("ls"))
        assert api.status_code == 503
        assert api.json()["decision"] == "deny"
    finally:
        gateway.stop()


def test_not_ready_while_redis_is_unreachable(home: Path) -> None:
    from tests.redis_server import free_port

    gateway = start_gateway(home, "--redis-url", f"redis://127.0.0.1:{free_port()}/0")
    try:
        ready = gateway.get("/ready", auth=False)
        assert ready.status_code == 503
        assert "redis unreachable" in ready.json()["reason"]
        started = time.monotonic()
        answer = gateway.post(bash("rm -rf /", hook=True))
        assert answer.status_code == 200
        assert answer.json()["decision"] == "deny"
        assert answer.json()["degraded"] is True
        assert time.monotonic() - started < 5
        health = gateway.get("/health").json()
        assert health["redis"]["connected"] is False
        assert health["status"] == "failing"
    finally:
        gateway.stop()
