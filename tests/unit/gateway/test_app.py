"""The gateway app end to end over the in-process bus (Litestar's test client)."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from vectimus.core.bus.messages import DECISIONS_STREAM, DecisionRecord, decode

from .conftest import ClientFactory

BASH = {"session_id": "s", "cwd": "/tmp", "tool_name": "Bash"}
HOOK = {**BASH, "hook_event_name": "PreToolUse"}


def bash(command: str, *, hook: bool = False, **extra: Any) -> bytes:
    return json.dumps(
        {**(HOOK if hook else BASH), "tool_input": {"command": command}, **extra}
    ).encode()


def records(client: Any, core: Any) -> list[DecisionRecord]:
    """Every DecisionRecord on the bus, read on the app's own loop."""

    async def read() -> dict[str, Any]:
        return await core.bus.read({DECISIONS_STREAM: "0"}, count=1000)

    found = client.blocking_portal.call(read)
    return [decode(d.payload, DecisionRecord) for d in found.get(DECISIONS_STREAM, [])]


class TestEvaluate:
    def test_allow_has_the_answer_fields(self, gateway: ClientFactory) -> None:
        client, _ = gateway()
        answer = client.post("/evaluate", content=bash("ls -la"))
        assert answer.status_code == 200
        body = answer.json()
        assert body["decision"] == "allow"
        assert set(body) == {
            "decision",
            "reason",
            "suggested_alternative",
            "matched_policy_ids",
            "receipt_id",
            "evaluation_time_ms",
            "degraded",
            "policy_set_hash",
        }
        assert body["degraded"] is False
        assert body["policy_set_hash"] == client.get("/policies").json()["policy_set_hash"]
        assert answer.headers["x-request-id"]

    def test_hook_shaped_deny_carries_claude_output(self, gateway: ClientFactory) -> None:
        client, _ = gateway()
        answer = client.post(
            "/evaluate", content=bash("rm -rf /", hook=True), headers={"X-Request-ID": "req-1"}
        )
        body = answer.json()
        assert answer.status_code == 200
        assert body["decision"] == "deny"
        assert body["matched_policy_ids"]
        output = body["hookSpecificOutput"]
        assert output["hookEventName"] == "PreToolUse"
        assert output["permissionDecision"] == "deny"
        assert body["receipt_id"] in output["permissionDecisionReason"]
        assert answer.headers["x-request-id"] == "req-1"

    def test_hook_shaped_allow_is_explicit(self, gateway: ClientFactory) -> None:
        client, _ = gateway()
        body = (client.post("/evaluate", content=bash("ls", hook=True))).json()
        assert body["hookSpecificOutput"]["permissionDecision"] == "allow"

    def test_camel_case_event_name_is_hook_shaped(self, gateway: ClientFactory) -> None:
        client, _ = gateway()
        payload = {
            "hookEventName": "PreToolUse",
            "tool_name": "Bash",
            "tool_input": {"command": "ls"},
        }
        body = (
            client.post(
                "/evaluate", content=json.dumps(payload), headers={"X-Vectimus-Source": "copilot"}
            )
        ).json()
        assert "hookSpecificOutput" in body

    def test_source_header_chooses_the_normaliser(self, gateway: ClientFactory) -> None:
        client, core = gateway()
        payload = {"tool_name": "run_shell_command", "tool_input": {"command": "ls"}}
        answer = client.post(
            "/evaluate", content=json.dumps(payload), headers={"X-Vectimus-Source": "gemini-cli"}
        )
        assert answer.status_code == 200
        [record] = records(client, core)
        assert record.event.source.tool == "gemini-cli"

    def test_the_decision_record_names_the_caller(self, gateway: ClientFactory) -> None:
        client, core = gateway(api_keys=[{"name": "ci-runner", "key": "k" * 24}])
        answer = client.post(
            "/evaluate", content=bash("ls"), headers={"Authorization": "Bearer " + "k" * 24}
        )
        assert answer.status_code == 200
        [record] = records(client, core)
        assert record.caller == "ci-runner"
        assert record.decision.receipt_id == answer.json()["receipt_id"]

    def test_enrichment_adds_facts_that_deny(self, gateway: ClientFactory) -> None:
        client, core = gateway()
        plain = (client.post("/evaluate", content=bash("bash deploy.sh"))).json()
        enrichment = {
            "script_path": "/w/deploy.sh",
            "script_content": "rm -rf /\n",
            "branch": "main",
        }
        enriched = (
            client.post("/evaluate", content=bash("bash deploy.sh", vectimus_enrichment=enrichment))
        ).json()
        assert plain["decision"] == "allow"
        assert enriched["decision"] == "deny"
        record = (records(client, core))[-1]
        assert record.event.context.branch == "main"

    def test_malformed_enrichment_never_loosens(self, gateway: ClientFactory) -> None:
        client, _ = gateway()
        for enrichment in ("rm -rf /", ["x"], {"script_content": 3}, None):
            body = (
                client.post("/evaluate", content=bash("rm -rf /", vectimus_enrichment=enrichment))
            ).json()
            assert body["decision"] == "deny", enrichment

    def test_observe_mode_allows_but_says_what_it_saw(self, gateway: ClientFactory) -> None:
        client, core = gateway(observe=True)
        body = (client.post("/evaluate", content=bash("rm -rf /", hook=True))).json()
        assert body["decision"] == "allow"
        assert "observe mode" in body["reason"]
        assert body["matched_policy_ids"]
        assert body["hookSpecificOutput"]["permissionDecision"] == "allow"
        assert len(records(client, core)) == 1  # still recorded


class TestBadInput:
    def test_malformed_json_names_the_problem(self, gateway: ClientFactory) -> None:
        client, _ = gateway()
        answer = client.post("/evaluate", content=b'{"tool_name": "Bash", ')
        assert answer.status_code == 400
        body = answer.json()
        assert body["error"] == "bad-json"
        assert "not valid JSON" in body["message"]
        assert "truncated" in body["message"].lower() or "line" in body["message"].lower()

    def test_empty_body(self, gateway: ClientFactory) -> None:
        client, _ = gateway()
        answer = client.post("/evaluate", content=b"")
        assert answer.status_code == 400

    def test_not_an_object(self, gateway: ClientFactory) -> None:
        client, _ = gateway()
        answer = client.post("/evaluate", content=b"[1, 2]")
        assert answer.status_code == 400
        assert answer.json()["error"] == "bad-payload"

    def test_unknown_source_lists_the_valid_ones(self, gateway: ClientFactory) -> None:
        client, _ = gateway()
        answer = client.post("/evaluate", content=bash("ls"), headers={"X-Vectimus-Source": "vim"})
        assert answer.status_code == 400
        body = answer.json()
        assert body["error"] == "unknown-source"
        assert "claude-code" in body["valid_sources"]
        assert "cursor" in body["hint"]

    def test_body_over_the_limit(self, gateway: ClientFactory) -> None:
        client, _ = gateway(max_body_bytes=2048)
        big = bash("echo " + "x" * 4096)
        answer = client.post("/evaluate", content=big)
        assert answer.status_code == 413
        body = answer.json()
        assert body["error"] == "payload-too-large"
        assert "2048" in body["message"]

    def test_a_streamed_body_over_the_limit(self, gateway: ClientFactory) -> None:
        """No Content-Length to refuse up front: the limit holds on the bytes that arrive."""
        client, _ = gateway(max_body_bytes=2048)
        chunks = iter([bash("echo " + "x" * 1500), b" " * 1500])
        answer = client.post("/evaluate", content=chunks)
        assert answer.status_code == 413
        assert answer.json()["error"] == "payload-too-large"

    def test_a_bad_content_length(self, gateway: ClientFactory) -> None:
        client, _ = gateway()
        answer = client.post("/evaluate", content=bash("ls"), headers={"Content-Length": "x1"})
        assert answer.status_code == 400
        assert answer.json()["error"] == "bad-request"
        assert "content-length" in answer.json()["message"].lower()

    def test_only_post_is_allowed(self, gateway: ClientFactory) -> None:
        client, _ = gateway()
        for method in ("GET", "PUT", "DELETE"):
            answer = client.request(method, "/evaluate")
            assert answer.status_code == 405, method
            assert answer.json()["error"] == "method-not-allowed"
            assert answer.headers["allow"] == "POST"

    def test_the_callers_request_id_comes_back_when_it_is_sane(
        self, gateway: ClientFactory
    ) -> None:
        client, _ = gateway()
        given = client.post("/evaluate", content=bash("ls"), headers={"X-Request-ID": "ci-42.a"})
        assert given.headers["x-request-id"] == "ci-42.a"
        odd = client.post("/evaluate", content=bash("ls"), headers={"X-Request-ID": "a b;c"})
        assert odd.headers["x-request-id"] not in ("", "a b;c")
        assert odd.headers["content-type"] == "application/json"
        assert int(odd.headers["content-length"]) == len(odd.content)


class TestAuth:
    KEYS = ({"name": "alice", "key": "a" * 20}, {"name": "bob", "key": "b" * 20})

    def test_missing_and_wrong_keys_get_401_json(self, gateway: ClientFactory) -> None:
        client, _ = gateway(api_keys=self.KEYS)
        missing = client.post("/evaluate", content=bash("ls"))
        wrong = client.post("/evaluate", content=bash("ls"), headers={"X-Vectimus-Key": "c" * 20})
        assert (missing.status_code, missing.json()["error"]) == (401, "missing-api-key")
        assert (wrong.status_code, wrong.json()["error"]) == (401, "bad-api-key")
        assert missing.headers["www-authenticate"].startswith("Bearer")

    def test_either_header_carries_a_key(self, gateway: ClientFactory) -> None:
        client, _ = gateway(api_keys=self.KEYS)
        for headers in ({"Authorization": "Bearer " + "b" * 20}, {"X-Vectimus-Key": "a" * 20}):
            assert (
                client.post("/evaluate", content=bash("ls"), headers=headers)
            ).status_code == 200

    def test_every_other_endpoint_needs_a_key(self, gateway: ClientFactory) -> None:
        client, _ = gateway(api_keys=self.KEYS)
        for path in ("/policies", "/metrics", "/events"):
            assert (client.get(path)).status_code == 401, path

    def test_health_endpoints_stay_open(self, gateway: ClientFactory) -> None:
        client, _ = gateway(api_keys=self.KEYS)
        for path in ("/health", "/healthz", "/ready"):
            assert (client.get(path)).status_code == 200, path


class TestDegraded:
    def test_no_evaluator_evaluates_in_process(self, gateway: ClientFactory) -> None:
        client, core = gateway(evaluator=False)
        answer = client.post("/evaluate", content=bash("rm -rf /", hook=True))
        body = answer.json()
        assert answer.status_code == 200
        assert body["degraded"] is True
        assert body["decision"] == "deny"
        assert body["matched_policy_ids"]
        [record] = records(client, core)  # the trail still happens
        assert record.degraded is True
        assert record.decision.receipt_id == body["receipt_id"]
        health = (client.get("/health")).json()
        assert health["degraded"] is True
        assert health["status"] == "degraded"

    def test_silent_evaluator_times_out_to_in_process(self, gateway: ClientFactory) -> None:
        client, _ = gateway(evaluator=False, silent_evaluator=True, eval_deadline_ms=100)
        assert client.get("/ready").status_code == 200  # it looks alive
        started = time.monotonic()
        answer = client.post("/evaluate", content=bash("ls")).json()
        assert answer["degraded"] is True
        assert answer["decision"] == "allow"
        assert time.monotonic() - started >= 0.1

    def test_unevaluable_hook_call_is_a_200_deny(self, gateway: ClientFactory) -> None:
        client, _ = gateway(evaluator=False, degraded_fallback=False)
        answer = client.post("/evaluate", content=bash("ls", hook=True))
        body = answer.json()
        assert answer.status_code == 200
        assert body["decision"] == "deny"
        assert body["hookSpecificOutput"]["permissionDecision"] == "deny"
        assert "could not be evaluated" in body["reason"]

    def test_unevaluable_api_call_is_a_503_deny(self, gateway: ClientFactory) -> None:
        client, _ = gateway(evaluator=False, degraded_fallback=False)
        answer = client.post("/evaluate", content=bash("ls"))
        assert answer.status_code == 503
        assert answer.json()["decision"] == "deny"


class TestHealth:
    def test_healthz_is_liveness_only(self, gateway: ClientFactory) -> None:
        client, _ = gateway(evaluator=False, policy_dir=Path("/nonexistent"))
        assert (client.get("/healthz")).json() == {"status": "alive"}

    def test_ready_when_everything_works(self, gateway: ClientFactory) -> None:
        client, _ = gateway()
        answer = client.get("/ready")
        assert answer.status_code == 200, answer.text
        assert answer.json() == {"ready": True}

    def test_not_ready_without_an_evaluator(self, gateway: ClientFactory) -> None:
        client, _ = gateway(evaluator=False)
        answer = client.get("/ready")
        assert answer.status_code == 503
        assert "no evaluator is alive" in answer.json()["reason"]

    def test_not_ready_without_policies(self, gateway: ClientFactory, tmp_path: Path) -> None:
        broken = tmp_path / "packs" / "broken"
        broken.mkdir(parents=True)
        (broken / "pack.toml").write_text('name = "broken"\nversion = "1"\n')
        (broken / "bad.cedar").write_text("forbid (principal, action, resource) when { nope")
        client, _ = gateway(evaluator=False, policy_dir=tmp_path / "packs")
        answer = client.get("/ready")
        assert answer.status_code == 503
        assert "policies" in answer.json()["reason"]
        health = (client.get("/health")).json()
        assert health["rule_count"] == 0
        assert health["policy_error"]
        assert health["status"] == "failing"

    def test_not_ready_first_when_shutting_down(self, gateway: ClientFactory) -> None:
        client, core = gateway()
        core.shutting_down = True
        answer = client.get("/ready")
        assert answer.status_code == 503
        assert answer.json()["reason"] == "shutting down"
        core.shutting_down = False

    def test_health_reports_services_and_policies(self, gateway: ClientFactory) -> None:
        client, core = gateway()
        body = (client.get("/health")).json()
        assert body["status"] == "ok"
        assert body["mode"] == "embedded"
        assert body["rule_count"] == core.policies.rule_count > 0
        assert body["services"]["evaluator"]["alive"] is True
        assert body["services"]["receipt-signer"]["alive"] is False
        assert body["redis"] == {"configured": False, "connected": None, "error": ""}
        assert body["uptime_s"] >= 0
        assert body["version"]


class TestPoliciesAndMetrics:
    def test_policies_lists_every_rule(self, gateway: ClientFactory) -> None:
        client, core = gateway()
        body = (client.get("/policies")).json()
        assert body["rule_count"] == len(body["rules"]) == core.policies.rule_count
        assert body["policy_set_hash"] == core.policies.policy_set_hash
        assert body["packs"]
        rule = body["rules"][0]
        for key in ("id", "description", "pack", "enforcement", "incident", "controls"):
            assert key in rule

    def test_metrics_count_decisions(self, gateway: ClientFactory) -> None:
        client, _ = gateway()
        client.post("/evaluate", content=bash("rm -rf /"))
        client.post("/evaluate", content=bash("ls"))
        client.post("/evaluate", content=b"nope")
        text = (client.get("/metrics")).text
        assert 'vectimus_decisions_total{decision="deny",source="claude-code",rule="' in text
        assert 'vectimus_decisions_total{decision="allow",source="claude-code",rule=""} 1' in text
        assert 'vectimus_rejected_requests_total{reason="bad-json"} 1' in text
        assert 'vectimus_evaluate_seconds_bucket{path="evaluator",le="+Inf"} 2' in text
        # The evaluator acknowledges a batch after its replies are out: wait for the ack.
        settled = 'vectimus_stream_pending{stream="vectimus:eval",group="evaluators"} 0'
        deadline = time.monotonic() + 5
        while settled not in text and time.monotonic() < deadline:
            time.sleep(0.05)
            text = (client.get("/metrics")).text
        assert settled in text
        assert "vectimus_bus_up 1" in text
