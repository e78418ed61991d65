"""Answer each agent tool in its own hook protocol.

A pure mapping from a Decision to (stdout JSON or None, exit code). ``None`` means "print
nothing": the tool then applies its own permission flow. That is what an allow defaults to,
because an explicit allow in Claude Code, Codex or Copilot skips the user's own permission
prompts, and governance must never loosen what the user already has (``explicit_allow``
switches it on).
"""

from __future__ import annotations

# The hook shim renders gateway answers with this module on its start-up-critical path, so it
# imports nothing at run time (``typing`` alone costs about 7 ms there).
TYPE_CHECKING = False
if TYPE_CHECKING:
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
    return render_verdict(
        source,
        decision.decision,
        decision.reason,
        explicit_allow=explicit_allow,
        hook_event_name=hook_event_name,
    )


def render_verdict(
    source: str,
    kind: str,
    reason: str,
    *,
    explicit_allow: bool = False,
    hook_event_name: str = "PreToolUse",
) -> tuple[dict[str, Any] | None, int]:
    """:func:`render` from the decision's kind (allow, deny, escalate) and reason alone."""
    if kind == "allow" and not explicit_allow:
        return None, 0
    # Anything but a known kind is answered as a deny: an unknown word never allows.
    verdict = _ASK_OR_DENY.get(kind, "deny")
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
