"""The policy part of /health: which set is in force here and in every evaluator, whether
they agree, and what keeps a new set from loading. A pure function of what was probed.

A failed reload or a refused bundle leaves the previous set serving, so it makes the gateway
degraded, not unready: the set in force is valid. Evaluators acknowledge a swap through the
policy hash in their heartbeats; one that reports another hash than the gateway's is named.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from vectimus.core.runtime import Runtime
from vectimus.gateway.monitor import Liveness


def policy_report(
    runtime: Runtime | None,
    *,
    loaded_at: float,
    load_error: str,
    bundle_error: str,
    liveness: Liveness,
) -> tuple[dict[str, Any], list[str]]:
    """The ``policies`` member of /health, and the problems that make the gateway degraded."""
    own = runtime.snapshot.compiled.policy_set_hash if runtime is not None else ""
    problems: list[str] = []
    if runtime is not None and load_error:
        problems.append(f"the policies failed to reload; the previous set serves: {load_error}")
    if bundle_error:
        problems.append(f"policy bundle: {bundle_error}; the set in force stays")
    evaluators: dict[str, str] = {}
    for instance in liveness.instances.get("evaluator", []):
        beat = liveness.details.get(instance, {})
        theirs = str(beat.get("policy_set_hash", ""))
        evaluators[instance] = theirs
        who = instance.removeprefix("evaluator:")
        if own and theirs != own:
            problems.append(
                f"evaluator {who} runs policy set {theirs[:16] or '(unknown)'}, "
                f"the gateway {own[:16]}"
            )
        for key in ("reload_error", "bundle_error"):
            if beat.get(key):
                problems.append(f"evaluator {who}: {key.replace('_', ' ')}: {beat[key]}")
    report: dict[str, Any] = {
        "policy_set_hash": own,
        "source": runtime.snapshot.policy_source.describe() if runtime is not None else {},
        "loaded_at": datetime.fromtimestamp(loaded_at, UTC).isoformat() if loaded_at else "",
        "evaluators": evaluators,
        # Every live evaluator runs the gateway's set (false while the gateway has none).
        "agree": bool(own) and all(theirs == own for theirs in evaluators.values()),
        "problems": problems,
    }
    return report, problems
