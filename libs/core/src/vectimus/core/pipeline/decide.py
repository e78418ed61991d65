"""Turn an event into a Decision with a reason a person (and an agent) can act on."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from vectimus.core.engine import Engine, Verdict
from vectimus.core.events import ACTION_TYPES, ActionType, Decision, DecisionKind, Event
from vectimus.core.pipeline.expand import Limits, ReadFile, expand
from vectimus.core.sessions import COUNTED_ACTIONS, SessionCounts

_SCRIPT_READ_CAP = 4 * 1024 * 1024


def read_script(path: str) -> str | None:
    """Read a script a command runs, if it is a readable regular file of sane size."""
    try:
        file = Path(path)
        if not file.is_file() or file.stat().st_size > _SCRIPT_READ_CAP:
            return None
        return file.read_text(encoding="utf-8", errors="replace")
    except (OSError, ValueError):
        return None


def _action_type(deciding: str, event: Event) -> ActionType:
    return deciding if deciding in ACTION_TYPES else event.action.action_type


def _count_error(event: Event, session: SessionCounts | None) -> str:
    """Why the counts a session limit needs are missing ("" when they are there or unneeded)."""
    if session is None or event.action.action_type not in COUNTED_ACTIONS:
        return ""
    return session.error


class Pipeline:
    """The one evaluation path shared by the hook, the daemon, the gateway and the services."""

    def __init__(
        self,
        engine: Engine,
        limits: Limits,
        *,
        new_id: Callable[[], str],
        read_file: ReadFile | None = read_script,
    ) -> None:
        self.engine = engine
        self.limits = limits
        self.new_id = new_id
        self.read_file = read_file

    def evaluate(self, event: Event, *, session: SessionCounts | None = None) -> Decision:
        """Decide ``event``; ``session`` is its session's counts, this call included (None
        where nothing counts, as in a fixture or a replay without sessions)."""
        started = time.perf_counter()
        receipt_id = self.new_id()
        try:
            expansion = expand(event, self.limits, self.read_file, session)
        except Exception as exc:  # noqa: BLE001 - a crash while analysing must fail closed
            verdict = Verdict(
                outcome="deny", error=f"the call could not be analysed: {type(exc).__name__}: {exc}"
            )
            notes: list[str] = []
            incomplete = False
        else:
            verdict = self.engine.evaluate(event.identity, expansion.requests)
            notes, incomplete = expansion.notes, expansion.incomplete
            missing = _count_error(event, session)
            if missing:
                # The limits on this call cannot be checked: a human decides, never nobody.
                notes.append(f"its session's counts are unavailable: {missing}")
                incomplete = True
        outcome: DecisionKind = verdict.outcome  # type: ignore[assignment]
        if incomplete and outcome == "allow" and not self.engine.observe:
            outcome = "escalate"
        reason, alternative = self._explain(verdict, outcome, notes, receipt_id)
        return Decision(
            decision=outcome,
            reason=reason,
            action_type=_action_type(verdict.deciding_action, event),
            suggested_alternative=alternative,
            matched_policy_ids=verdict.matched,
            receipt_id=receipt_id,
            evaluation_time_ms=round((time.perf_counter() - started) * 1000, 3),
            observed=self.engine.observe,
        )

    def refuse(self, message: str, *, action_type: ActionType = "shell_command") -> Decision:
        """A deny for input that could not be evaluated at all (bad JSON, unknown shape)."""
        receipt_id = self.new_id()
        return Decision(
            decision="deny",
            reason=f"Vectimus denied this call: {message}. Receipt: {receipt_id}",
            action_type=action_type,
            receipt_id=receipt_id,
        )

    def _explain(
        self, verdict: Verdict, outcome: str, notes: list[str], receipt_id: str
    ) -> tuple[str, str]:
        """The reason (ending with the receipt id) and the suggested alternative."""
        receipt = f"Receipt: {receipt_id}"
        if verdict.error:
            why = f"it could not be evaluated: {verdict.error}"
            return f"Vectimus denied this call because {why}. {receipt}", ""
        rule = self.engine.rules.get(verdict.deciding_rule)
        if outcome == "allow":
            if self.engine.observe and verdict.matched:
                matched = ", ".join(verdict.matched)
                return f"Allowed in observe mode; would have matched {matched}. {receipt}", ""
            return f"Allowed: no rule matched. {receipt}", ""
        if rule is None:
            return f"Vectimus needs a human to approve this: {'; '.join(notes)}. {receipt}", ""
        verb = "blocked this" if outcome == "deny" else "needs a human to approve this"
        parts = [f"Vectimus {verb}: [{rule.id}] {rule.description}".rstrip()]
        if rule.suggested_alternative:
            parts.append(f"Instead: {rule.suggested_alternative}")
        parts.extend(notes)
        parts.append(receipt)
        return ". ".join(p.rstrip(".") for p in parts), rule.suggested_alternative
