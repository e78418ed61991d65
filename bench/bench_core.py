"""Issue 2 benchmarks: in-process evaluation, content inspection, the hook as a process.

Each figure is measured beside its baseline in the same run and reported as a ratio.
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from harness import report, summary, time_calls, time_process, verdict
from vectimus.core.engine import Engine
from vectimus.core.engine.compile import compile_policies, load_policy_dirs
from vectimus.core.events import Identity
from vectimus.core.normalise import normalise
from vectimus.core.pipeline import Limits, Pipeline

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
IDENTITY = Identity(principal="bench")
SCRIPT_LINES = [
    'echo "step {i}"',
    "mkdir -p build/{i}",
    "cp src/f{i}.txt build/{i}/",
    "npm run build --workspace pkg{i}",
    "if [ -f x{i} ]; then rm -f x{i}; fi",
    "export VAR{i}=value{i}",
    "curl -fsSL https://example.com/{i}.tgz -o /tmp/{i}.tgz",
    "tar xzf /tmp/{i}.tgz -C build/{i}",
    "git add file{i}",
    "python3 scripts/gen.py --n {i}",
]


def bash(command: str) -> dict[str, object]:
    return {
        "session_id": "b",
        "cwd": "/tmp",
        "hook_event_name": "PreToolUse",
        "tool_name": "Bash",
        "tool_input": {"command": command},
    }


def pipeline_for(policy_dir: Path) -> Pipeline:
    engine = Engine(compile_policies(load_policy_dirs([policy_dir])))
    return Pipeline(engine, Limits(home=str(Path.home())), new_id=lambda: "bench")


def in_process(rows: list[dict[str, object]]) -> None:
    full = pipeline_for(REPO / "policies")
    with tempfile.TemporaryDirectory() as tmp:
        one = Path(tmp) / "one"
        one.mkdir()
        (one / "r.cedar").write_text(
            '@id("one")\nforbid (principal, action == Vectimus::Action::"shell_command", resource)\n'
            'when { context.program == "rm" && context.args.contains("/") };\n'
        )
        single = pipeline_for(one)
    event = normalise("claude-code", bash("git status && rm -rf /"), identity=IDENTITY)
    base = summary(time_calls(lambda: single.evaluate(event), repeat=3000))
    full_s = summary(time_calls(lambda: full.evaluate(event), repeat=3000))
    rows.append({"measure": "evaluate one shell command, single-rule set (baseline)", **base})
    rows.append(
        {
            "measure": "evaluate one shell command, full bundled set",
            **full_s,
            "ratio": round(full_s["p50_ms"] / base["p50_ms"], 2),
            "target": "p50 <= 0.3 ms",
            "verdict": verdict(full_s["p50_ms"], 0.3),
        }
    )

    random.seed(7)
    content = (
        "#!/bin/bash\n"
        + "\n".join(random.choice(SCRIPT_LINES).format(i=i) for i in range(1000))
        + "\n"
    )
    write = normalise(
        "claude-code",
        {
            "cwd": "/tmp",
            "tool_name": "Write",
            "tool_input": {"file_path": "/tmp/deploy.sh", "content": content},
        },
        identity=IDENTITY,
    )
    inspect = summary(time_calls(lambda: full.evaluate(write), repeat=15, warmup=2))
    rows.append(
        {
            "measure": "content inspection, 1,000-line script",
            **inspect,
            "target": "p50 <= 150 ms",
            "verdict": verdict(inspect["p50_ms"], 150),
        }
    )


def whole_process(rows: list[dict[str, object]]) -> None:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    with tempfile.TemporaryDirectory() as home:
        env["VECTIMUS_HOME"] = home
        env["VECTIMUS_DAEMON"] = "0"  # this measures inline evaluation (bench_client: the daemon)
        python, vectimus = str(BIN / "python"), str(BIN / "vectimus")
        payload = json.dumps(bash("git status && rm -rf /")).encode()
        subprocess.run(
            [vectimus, "hook", "--source", "claude-code"],
            input=payload,
            capture_output=True,
            env=env,
            check=True,
        )  # warm the snapshot cache
        time.sleep(1)
        bare = summary(time_process([python, "-c", "pass"], repeat=30, env=env))
        cedar = summary(time_process([python, "-c", "import cedarpy"], repeat=30, env=env))
        # The trail is written by a detached child after the answer; letting it finish
        # between runs measures what the agent tool waits for, not the child's CPU.
        settled = summary(
            time_process(
                [vectimus, "hook", "--source", "claude-code"],
                repeat=30,
                stdin=payload,
                env=env,
                settle_s=0.4,
            )
        )
        busy = summary(
            time_process(
                [vectimus, "hook", "--source", "claude-code"], repeat=30, stdin=payload, env=env
            )
        )
    ratio = round(settled["p50_ms"] / cedar["p50_ms"], 2)
    rows.append({"measure": "python -c pass (baseline)", **bare})
    rows.append({"measure": "python -c 'import cedarpy' (baseline)", **cedar})
    rows.append(
        {
            "measure": "vectimus hook, inline, whole process",
            **settled,
            "ratio": ratio,
            "target": "<= 1.6 x import cedarpy",
            "verdict": verdict(ratio, 1.6),
        }
    )
    rows.append(
        {
            "measure": "vectimus hook, back to back (children competing)",
            **busy,
            "ratio": round(busy["p50_ms"] / cedar["p50_ms"], 2),
        }
    )


def main() -> None:
    rows: list[dict[str, object]] = []
    in_process(rows)
    whole_process(rows)
    report("core", rows)


if __name__ == "__main__":
    main()
