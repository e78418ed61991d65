"""The checker finds what a fault run must not show: each promise broken once, on purpose."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from tests.chaos.check import Trail, tally
from tests.chaos.events import Seen
from tests.chaos.load import Answer, Call, calls
from vectimus.core.audit.record import AuditRecord
from vectimus.core.events import Action, Decision, Event, Identity, Source
from vectimus.core.receipts.receipt import Receipt


def answer(call: Call, n: int, status: int = 200, **body: Any) -> Answer:
    decision = body.pop("decision", call.expect)
    found = {"decision": decision, "receipt_id": f"rid-{n}", "reason": "", "degraded": False}
    if call.hook:
        found["hookSpecificOutput"] = {"permissionDecision": decision}
    return Answer(call, sent_at=0.0, status=status, body={**found, **body})


def record(call: Call, receipt_id: str, decision: str) -> AuditRecord:
    command = call.body.decode()  # holds the marker, wherever the shape puts it
    return AuditRecord(
        recorded_at="2026-01-01T00:00:00.000000Z",
        receipt_id=receipt_id,
        caller="tester",
        decision=Decision(decision=decision, reason="", action_type="shell_command"),  # type: ignore[arg-type]
        event=Event(
            source=Source(tool="claude-code"),
            identity=Identity(),
            action=Action(action_type="shell_command", raw_tool_name="Bash", command=command),
        ),
    )


def receipt(receipt_id: str, decision: str) -> Receipt:
    return Receipt(
        v=1,
        receipt_id=receipt_id,
        timestamp="2026-01-01T00:00:00.000000Z",
        event_hash="0" * 64,
        decision=decision,  # type: ignore[arg-type]
        reason="",
        matched_policy_ids=(),
        policy_set_hash="0" * 64,
        pack_versions={},
        evaluation_time_ms=0.0,
        source="claude-code",
        principal="p",
        key_id="k",
        prev_receipt_hash="",
        signature="",
    )


def trail(
    answers: Sequence[Answer], *, skip: int | None = None, seen_skip: int | None = None
) -> Trail:
    kept = [a for n, a in enumerate(answers) if n != skip]
    ids = [f"1-{n}" for n in range(len(answers))]
    return Trail(
        records=[record(a.call, a.receipt_id, a.decision) for a in kept],
        receipts=[receipt(a.receipt_id, a.decision) for a in kept],
        chain_ok=True,
        chain_output="chain OK",
        event_ids=ids,
        seen=[Seen(1, i, f"rid-{n}") for n, i in enumerate(ids) if n != seen_skip],
    )


def four() -> list[Answer]:
    return [answer(call, n) for n, call in zip(range(4), calls("t"), strict=False)]


def test_a_clean_run_has_no_violation() -> None:
    answers = four()
    result = tally(answers, trail(answers))
    assert result.violations == []
    assert (result.counts["sent"], result.counts["lost"], result.counts["duplicates"]) == (4, 0, 0)


def test_a_decision_without_a_record_is_lost() -> None:
    answers = four()
    result = tally(answers, trail(answers, skip=1))
    assert result.counts["lost"] == 1
    assert any("has no audit record" in v for v in result.violations)


def test_an_allow_without_its_receipt_is_unevaluated() -> None:
    answers = four()
    result = tally(answers, trail(answers, skip=0))
    assert any("allow without an allow receipt" in v for v in result.violations)


def test_an_allow_for_a_call_the_policies_deny_is_a_violation() -> None:
    answers = four()
    answers[1] = answer(answers[1].call, 1, decision="allow")
    result = tally(answers, trail(answers))
    assert any("the policies deny this call" in v for v in result.violations)


def test_a_hook_call_must_not_get_a_non_2xx() -> None:
    answers = four()
    answers[1] = answer(answers[1].call, 1, status=503)
    assert any("Claude Code would allow" in v for v in tally(answers, trail(answers)).violations)
    plain = four()
    plain[3] = answer(plain[3].call, 3, status=503)  # a plain API call: 503 deny fails closed
    assert tally(plain, trail(plain)).violations == []


def test_no_answer_is_failed_closed_and_repeated_records_are_duplicates() -> None:
    answers = four()
    answers[2] = Answer(answers[2].call, sent_at=0.0, error="ConnectionResetError")
    found = trail(answers, skip=2)
    again = Trail(**{**found.__dict__, "records": [*found.records, found.records[0]]})
    result = tally(answers, again)
    assert result.counts["no_answer"] == 1
    assert result.counts["duplicates"] == 1
    assert any("repeat a receipt id" in v for v in result.violations)


def test_an_sse_gap_is_found() -> None:
    answers = four()
    result = tally(answers, trail(answers, seen_skip=2))
    assert result.counts["sse_gaps"] == 1
    assert any("SSE missed 1" in v for v in result.violations)
