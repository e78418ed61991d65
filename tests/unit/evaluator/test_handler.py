"""The evaluator's handler as a pure function: request in, reply and decision record out."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import POLICIES
from vectimus.core.bus.messages import EvalRequest
from vectimus.core.receipts.ids import RECEIPT_ID_PATTERN, receipt_id_time_ms
from vectimus.evaluator.handler import (
    Evaluation,
    answer,
    enrich,
    refusal,
    split_enrichment,
    stable_receipt_id,
)
from vectimus.evaluator.main import evaluation_of, load_runtime
from vectimus.evaluator.settings import EvaluatorSettings

ENTRY = "1767225600000-3"


@pytest.fixture
def evaluation() -> Evaluation:
    return evaluation_of(load_runtime(EvaluatorSettings(consumer="ev-test")), "ev-test")


def bash(command: str, **extra: Any) -> bytes:
    return json.dumps(
        {
            "session_id": "s1",
            "cwd": "/work/p",
            "tool_name": "Bash",
            "tool_input": {"command": command},
            **extra,
        }
    ).encode()


def request(payload: bytes, source: str = "claude-code", **fields: Any) -> EvalRequest:
    return EvalRequest(
        request_id=fields.pop("request_id", "req-1"),
        reply_to="vectimus:reply:gw1",
        source=source,
        payload=payload,
        caller=fields.pop("caller", "ci-runner"),
        **fields,
    )


class TestAnswer:
    def test_the_gateways_receipt_id_is_used_and_a_malformed_one_is_not(
        self, evaluation: Evaluation
    ) -> None:
        given = "0192f3c4-5d6e-7f80-9a1b-2c3d4e5f6a7b"
        found = answer(request(bash("rm -rf /"), receipt_id=given), ENTRY, evaluation)
        assert found.reply.decision.receipt_id == found.record.decision.receipt_id == given
        hostile = answer(request(bash("ls"), receipt_id="../../etc/passwd"), ENTRY, evaluation)
        assert hostile.reply.decision.receipt_id == stable_receipt_id("req-1", ENTRY)
        refused = refusal(request(b"{", receipt_id=given), ENTRY, evaluation, "bad json")
        assert refused.reply.decision.receipt_id == given

    def test_a_denied_call(self, evaluation: Evaluation) -> None:
        found = answer(request(bash("cd infra && terraform destroy")), ENTRY, evaluation)
        assert found.reply_to == "vectimus:reply:gw1"
        decision = found.reply.decision
        assert decision.decision == "deny"
        assert decision.matched_policy_ids == ("vectimus-infra-001",)
        assert decision.receipt_id == stable_receipt_id("req-1", ENTRY)
        assert decision.reason.endswith(f"Receipt: {decision.receipt_id}")
        assert found.reply.request_id == "req-1"
        assert found.reply.evaluator == "ev-test"
        assert found.reply.policy_set_hash == evaluation.policy_set_hash != ""
        record = found.record
        assert record.decision == decision
        assert record.caller == "ci-runner"
        assert record.event.action.command == "cd infra && terraform destroy"
        assert record.pack_versions and not record.degraded

    def test_an_allowed_call(self, evaluation: Evaluation) -> None:
        found = answer(request(bash("ls -la")), ENTRY, evaluation)
        assert found.reply.decision.decision == "allow"

    @pytest.mark.parametrize(
        ("payload", "source", "says"),
        [
            (b"{not json", "claude-code", "not valid JSON"),
            (b"[1, 2]", "claude-code", "JSON object"),
            (bash("ls"), "no-such-tool", "valid sources"),
        ],
    )
    def test_what_cannot_be_evaluated_is_denied(
        self, evaluation: Evaluation, payload: bytes, source: str, says: str
    ) -> None:
        found = answer(request(payload, source=source), ENTRY, evaluation)
        assert found.reply.decision.decision == "deny"
        assert says in found.reply.decision.reason
        assert found.record.event.action.raw_tool_name == "(unparsed payload)"
        assert found.record.decision.receipt_id == stable_receipt_id("req-1", ENTRY)

    def test_refusal_is_a_deny_with_the_stable_receipt_id(self, evaluation: Evaluation) -> None:
        found = refusal(request(bash("ls")), ENTRY, evaluation, "evaluation failed (boom)")
        assert found.reply.decision.decision == "deny"
        assert "evaluation failed (boom)" in found.reply.decision.reason
        assert found.reply.decision.receipt_id == stable_receipt_id("req-1", ENTRY)

    def test_observe_mode_allows_and_says_what_would_have_matched(self) -> None:
        observing = evaluation_of(load_runtime(EvaluatorSettings(observe=True)), "ev")
        decision = answer(request(bash("terraform destroy")), ENTRY, observing).reply.decision
        assert decision.decision == "allow"
        assert decision.observed is True
        assert "vectimus-infra-001" in decision.matched_policy_ids

    def test_the_policy_dir_option_replaces_the_bundled_packs(self, tmp_path: Path) -> None:
        shutil.copytree(POLICIES / "infrastructure", tmp_path / "infrastructure")
        only_infra = evaluation_of(load_runtime(EvaluatorSettings(policy_dir=tmp_path)), "ev")
        assert (
            answer(request(bash("terraform destroy")), ENTRY, only_infra).reply.decision.decision
            == "deny"
        )
        assert (
            answer(request(bash("rm -rf /")), ENTRY, only_infra).reply.decision.decision == "allow"
        )


class TestEnrichment:
    def test_script_content_can_lead_to_a_deny(self, evaluation: Evaluation) -> None:
        plain = answer(request(bash("bash deploy.sh")), ENTRY, evaluation)
        assert plain.reply.decision.decision == "allow"
        facts = {
            "script_path": "/work/p/deploy.sh",
            "script_content": "terraform destroy -auto-approve\n",
        }
        enriched = answer(request(bash("bash deploy.sh"), enrichment=facts), ENTRY, evaluation)
        assert enriched.reply.decision.decision == "deny"
        assert enriched.record.event.action.script_content == facts["script_content"]

    def test_the_embedded_member_is_read_and_removed(self, evaluation: Evaluation) -> None:
        payload = bash(
            "bash deploy.sh",
            vectimus_enrichment={
                "script_content": "rm -rf /",
                "repository": "acme/app",
                "branch": "main",
            },
        )
        found = answer(request(payload), ENTRY, evaluation)
        assert found.reply.decision.decision == "deny"
        context = found.record.event.context
        assert (context.repository, context.branch, context.cwd) == ("acme/app", "main", "/work/p")

    @pytest.mark.parametrize(
        "broken",
        [["not", "an", "object"], {"script_content": 42, "branch": None}, "text", {"": ""}],
    )
    def test_a_malformed_enrichment_never_turns_a_deny_into_an_allow(
        self, evaluation: Evaluation, broken: Any
    ) -> None:
        payload = bash("terraform destroy", vectimus_enrichment=broken)
        assert answer(request(payload), ENTRY, evaluation).reply.decision.decision == "deny"
        harmless = bash("ls", vectimus_enrichment=broken)
        assert answer(request(harmless), ENTRY, evaluation).reply.decision.decision == "allow"

    def test_facts_the_event_has_are_kept(self, evaluation: Evaluation) -> None:
        payload, _ = split_enrichment(json.loads(bash("ls", user_email="dev@example.com")))
        from vectimus.core.normalise import normalise

        event = normalise("claude-code", payload)
        enriched = enrich(event, {"principal": "someone-else", "hostname": "laptop"})
        assert enriched.identity.principal == "dev@example.com"
        assert enriched.context.hostname == "laptop"
        unknown = enrich(normalise("claude-code", json.loads(bash("ls"))), {"principal": "dev"})
        assert unknown.identity.principal == "dev"


class TestStableReceiptId:
    def test_same_request_and_entry_same_id(self) -> None:
        first = stable_receipt_id("req-1", ENTRY)
        assert first == stable_receipt_id("req-1", ENTRY)
        assert first != stable_receipt_id("req-2", ENTRY)
        assert first != stable_receipt_id("req-1", "1767225600000-4")

    def test_it_is_a_uuid7_with_the_entry_time(self) -> None:
        found = stable_receipt_id("req-1", ENTRY)
        assert RECEIPT_ID_PATTERN.fullmatch(found)
        assert receipt_id_time_ms(found) == 1767225600000
