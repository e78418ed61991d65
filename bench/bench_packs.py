"""The bundled packs' cost: one shell command against every rule vs against a single rule.

Target: evaluating one shell command against the full bundled set (p50) stays within
1.5 x the same evaluation against a single-rule set, measured in the same run. Both go
through the whole Pipeline (normalised event in, Decision out), so shell analysis and
request building are on both sides and only the rules differ.

The engine hands Cedar only the rules whose program guard and three-valued prefilter admit
a request (engine/index.py), and makes no Cedar call when none does. The headline command,
``rm -rf /``, is denied by both sets, so Cedar is called on both sides; the other rows show
an allowed ``rm`` (neither set reaches Cedar: the ratio is the prefilter's own cost) and a
compound line. The "prefilter off" rows hand Cedar every rule of the action, as the engine
did before the prefilter: that is the cost the prefilter removes.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness import report, summary, time_calls, verdict
from vectimus.core.engine import Engine
from vectimus.core.engine.compile import compile_policies, load_policy_dirs
from vectimus.core.events import Identity
from vectimus.core.normalise import normalise
from vectimus.core.pipeline import Limits, Pipeline

REPO = Path(__file__).resolve().parents[1]
IDENTITY = Identity(principal="bench")
TARGET = 1.5
SINGLE_RULE = (
    '@id("one")\n'
    'forbid (principal, action == Vectimus::Action::"shell_command", resource)\n'
    'when { context.program == "rm" && context.args.contains("/") };\n'
)
COMMANDS = [
    "rm -rf /",  # the headline: one simple command, denied by both sets
    "rm -rf ./build",
    "rm -rf node_modules && git status",
]


def bash(command: str) -> dict[str, object]:
    return {
        "session_id": "b",
        "cwd": "/home/dev/project",
        "hook_event_name": "PreToolUse",
        "tool_name": "Bash",
        "tool_input": {"command": command},
    }


def pipeline(engine: Engine) -> Pipeline:
    limits = Limits(home="/home/dev")
    return Pipeline(engine, limits, new_id=lambda: "bench", read_file=None)


def main() -> None:
    full_compiled = compile_policies(load_policy_dirs([REPO / "policies"]))
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "one.cedar").write_text(SINGLE_RULE)
        single_compiled = compile_policies(load_policy_dirs([Path(tmp)]))
    full = pipeline(Engine(full_compiled))
    single = pipeline(Engine(single_compiled))
    unfiltered = pipeline(Engine(full_compiled, prefilter=False))
    rows: list[dict[str, object]] = []
    for index, command in enumerate(COMMANDS):
        event = normalise("claude-code", bash(command), identity=IDENTITY)
        base = summary(time_calls(lambda e=event: single.evaluate(e), repeat=3000))
        every = summary(time_calls(lambda e=event: full.evaluate(e), repeat=3000))
        plain = summary(time_calls(lambda e=event: unfiltered.evaluate(e), repeat=1500))
        ratio = round(every["p50_ms"] / base["p50_ms"], 2)
        rows.append({"measure": f"{command!r}: single-rule set (baseline)", **base})
        rows.append(
            {
                "measure": f"{command!r}: full bundled set ({len(full_compiled.rules)} rules)",
                **every,
                "ratio": ratio,
                "target": f"<= {TARGET} x baseline" if index == 0 else "",
                "verdict": verdict(ratio, TARGET) if index == 0 else "",
            }
        )
        rows.append(
            {
                "measure": f"{command!r}: full set, prefilter off (every rule to Cedar)",
                **plain,
                "ratio": round(plain["p50_ms"] / base["p50_ms"], 2),
            }
        )
    report("packs", rows)


if __name__ == "__main__":
    main()
