"""Answer each agent tool in its own hook protocol.

A pure mapping from a Decision to (stdout JSON or None, exit code). ``None`` means "print
nothing": the tool then applies its own permission flow. That is what an allow defaults to,
because an explicit allow in Claude Code, Codex or Copilot skips the user's own permission
prompts, and governance must never loosen what the user already has (``explicit_allow``
switches it on).
"""

from __future__ import annotations

from typing import Any

from vectimus.core.events import Decision

_ASK_OR_DENY = {"allow": "allow", "deny": "deny", "escalate": "ask"}


def render(
    source: str,
    decision: Decision,
    *,
    explicit_allow: bool = False,
    hook_event_name: str = "PreToolUse",
) -> tuple[dict[str, Any] | None, int]:
    """The answer for ``source``, and the exit code the hook process should end with."""
    if decision.decision == "allow" and not explicit_allow:
        return None, 0
    verdict = _ASK_OR_DENY[decision.decision]
    reason = decision.reason
    if source in {"claude-code", "claude-agent-sdk", "codex"}:
        return {
            "hookSpecificOutput": {
                "hookEventName": hook_event_name or "PreToolUse",
                "permissionDecision": verdict,
                "permissionDecisionReason": reason,
            }
        }, 0
    if source == "copilot":
        return {"permissionDecision": verdict, "permissionDecisionReason": reason}, 0
    if source == "cursor":
        return {
            "permission": verdict,
            "user_message": reason,
            "agent_message": reason,
        }, 2 if verdict == "deny" else 0
    if source == "gemini-cli":
        # Gemini CLI has no "ask": an escalation is a deny that says a human must approve.
        gemini = "allow" if verdict == "allow" else "deny"
        return {"decision": gemini, "reason": reason}, 0
    # Unknown sources never reach here (the CLI validates), but fail closed if one does.
    return {"decision": "deny", "reason": reason}, 2
