"""What a fault run must show, computed from what was sent, answered and recorded.

:func:`tally` is pure: the answers the load driver kept, the audit records (read with
``vectimus.core.audit.reader``), the receipt files (``vectimus.core.receipts.store``), the
verdict of ``vectimus verify --chain`` and the events seen over SSE against the events
stream. It returns the counts and every violation, each naming the call it is about:

- every call was answered with an evaluated decision or failed closed: a deny, a non-2xx
  for a plain API call, or no HTTP answer at all (the connection died with its gateway
  worker: the hook shim then evaluates the call itself or denies it). A hook-shaped call
  answered with a non-2xx is a violation (Claude Code lets the call through);
- no allow came out of an unevaluated path: each allow was a 200 for a call the policies
  allow, with a signed allow receipt and an audit record of that very call;
- every decision has exactly one audit record and one receipt: ``lost`` counts answered
  decisions without either (and records without a receipt, or receipts without a record);
  ``duplicates`` counts records beyond the first for a receipt id;
- the receipt chain verifies;
- the events seen over SSE, across every resume, are the events stream: no gap, no repeat.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from tests.chaos.events import Seen
from tests.chaos.load import Answer
from vectimus.core.audit.record import AuditRecord
from vectimus.core.receipts.receipt import Receipt

_MARKER = re.compile(r"chaos-[A-Za-z0-9]+-\d+")
# The gateway's words for a refusal (decide.refusal) and for a trail it could not publish.
UNEVALUATED = "could not be evaluated"
UNRECORDED = "was not recorded"
DECISIONS = frozenset({"allow", "deny", "escalate"})
_HOOK_WORD = {"allow": "allow", "deny": "deny", "escalate": "ask"}  # Claude Code's words


@dataclass(frozen=True)
class Trail:
    """What the pipeline left behind once it has drained."""

    records: Sequence[AuditRecord]
    receipts: Sequence[Receipt]
    chain_ok: bool
    chain_output: str
    event_ids: Sequence[str]
    seen: Sequence[Seen]
    problems: Sequence[str] = ()  # torn audit lines, unreadable receipt files


@dataclass
class Tally:
    counts: dict[str, Any] = field(default_factory=dict)
    violations: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.violations


def marker_of(record: AuditRecord) -> str:
    action = record.event.action
    found = _MARKER.search(f"{action.command or ''} {action.file_path or ''}")
    return found.group(0) if found else ""


def _answer_violations(answer: Answer) -> list[str]:
    call, status = answer.call, answer.status
    if status == 0:
        return []  # no HTTP answer: failed closed at the client
    if answer.decision not in DECISIONS:
        return [f"{call.marker}: HTTP {status} without a decision ({answer.error or 'no body'})"]
    problems = []
    if call.hook and status != 200:
        problems.append(f"{call.marker}: hook call answered {status} (Claude Code would allow)")
    if call.hook and answer.hook_decision != _HOOK_WORD.get(answer.decision):
        problems.append(
            f"{call.marker}: hookSpecificOutput says {answer.hook_decision!r}, "
            f"the answer {answer.decision!r}"
        )
    if not 200 <= status < 300 and answer.decision != "deny":
        problems.append(f"{call.marker}: HTTP {status} with a {answer.decision}")
    if answer.decision == "allow" and call.expect != "allow":
        problems.append(f"{call.marker}: allowed, but the policies deny this call")
    return problems


def _allow_violations(
    answer: Answer, receipts: dict[str, Receipt], records: dict[str, list[AuditRecord]]
) -> list[str]:
    """An allow must be an evaluation of this very call, signed and recorded as an allow."""
    marker, receipt_id = answer.call.marker, answer.receipt_id
    problems = []
    if answer.status != 200 or UNEVALUATED in answer.reason:
        problems.append(f"{marker}: allow answered {answer.status} from an unevaluated path")
    receipt = receipts.get(receipt_id)
    if receipt is None or receipt.decision != "allow":
        problems.append(f"{marker}: allow without an allow receipt ({receipt_id})")
    elif not receipt.policy_set_hash:
        problems.append(f"{marker}: allow signed without the policies that decided it")
    if not any(marker_of(r) == marker for r in records.get(receipt_id, [])):
        problems.append(f"{marker}: allow without an audit record of this call ({receipt_id})")
    return problems


def _sse(trail: Trail) -> tuple[dict[str, int], list[str]]:
    seen_ids = [s.event_id for s in trail.seen]
    stream = list(trail.event_ids)
    missing = sorted(set(stream) - set(seen_ids))
    repeated = len(seen_ids) - len(set(seen_ids))
    in_order = seen_ids == sorted(set(seen_ids), key=lambda i: tuple(map(int, i.split("-"))))
    counts = {
        "sse_events": len(set(seen_ids)),
        "sse_gaps": len(missing),
        "sse_repeats": repeated,
        "sse_resumes": max((s.connection for s in trail.seen), default=1) - 1,
    }
    problems = []
    if missing:
        problems.append(f"SSE missed {len(missing)} of {len(stream)} events, first {missing[0]}")
    if repeated or not in_order:
        problems.append(f"SSE repeated {repeated} events or sent them out of order")
    if set(seen_ids) - set(stream):
        problems.append("SSE sent ids that are not on the events stream")
    return counts, problems


def tally(answers: Sequence[Answer], trail: Trail) -> Tally:
    result = Tally(violations=list(trail.problems))
    records: dict[str, list[AuditRecord]] = {}
    for record in trail.records:
        records.setdefault(record.receipt_id, []).append(record)
    receipts = {r.receipt_id: r for r in trail.receipts}
    decided = [a for a in answers if a.status and a.decision in DECISIONS]
    answered_ids = {a.receipt_id for a in decided}
    sent_markers = {a.call.marker for a in answers}

    for answer in answers:
        result.violations += _answer_violations(answer)
        if answer.decision == "allow":
            result.violations += _allow_violations(answer, receipts, records)

    lost = [a for a in decided if a.receipt_id not in records or a.receipt_id not in receipts]
    lost_ids = {a.receipt_id for a in lost} | (set(records) ^ set(receipts))
    result.violations += [
        f"{a.call.marker}: decision {a.receipt_id} has "
        f"{'no audit record' if a.receipt_id not in records else 'no receipt'}"
        + (" (the gateway said so)" if UNRECORDED in a.reason else "")
        for a in lost
    ]
    duplicates = sum(len(found) - 1 for found in records.values())
    if duplicates:
        result.violations.append(f"{duplicates} audit records repeat a receipt id")
    mixed = [
        a.call.marker
        for a in decided
        if a.receipt_id in records and marker_of(records[a.receipt_id][0]) != a.call.marker
    ]
    result.violations += [f"{m}: its receipt id records another call" for m in mixed]
    foreign = [r.receipt_id for r in trail.records if marker_of(r) not in sent_markers]
    if foreign:
        result.violations.append(f"{len(foreign)} audit records of calls never sent")
    if not trail.chain_ok:
        result.violations.append(f"receipt chain does not verify: {trail.chain_output[-500:]}")
    per_call = Counter(marker_of(r) for r in trail.records)
    sse_counts, sse_problems = _sse(trail)
    result.violations += sse_problems

    result.counts = {
        "sent": len(answers),
        "answered": len(decided),
        "allowed": sum(1 for a in decided if a.decision == "allow"),
        "denied": sum(1 for a in decided if a.decision == "deny"),
        "degraded": sum(1 for a in decided if a.degraded),
        # denies of calls the policies allow: only a fail-closed path answers those
        "failed_closed": sum(
            1 for a in decided if a.decision != "allow" and a.call.expect == "allow"
        ),
        "no_answer": sum(1 for a in answers if not a.status),
        "audit_records": len(trail.records),
        "receipts": len(trail.receipts),
        "duplicates": duplicates,
        "lost": len(lost_ids),
        "unanswered_decisions": len(set(records) - answered_ids),
        "calls_decided_twice": sum(1 for n in per_call.values() if n > 1),
        "chain_ok": trail.chain_ok,
        **sse_counts,
    }
    return result
