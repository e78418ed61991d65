"""Issue 4 benchmark: the latency receipts and the audit log add to a hook decision.

Measured in one process against the bare evaluation of the same event (the baseline), and,
for the hook as shipped, the cost of forking the detached recorder.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from harness import report, summary, time_calls, verdict

REPO = Path(__file__).resolve().parents[1]


def main() -> None:
    with tempfile.TemporaryDirectory() as home, tempfile.TemporaryDirectory() as project:
        os.environ["VECTIMUS_HOME"] = home
        (Path(project) / ".git").mkdir()
        from vectimus.core.normalise import normalise
        from vectimus.core.record import Recorder
        from vectimus.core.runtime import build_runtime

        runtime = build_runtime(Path(project))
        payload = {
            "cwd": project,
            "tool_name": "Bash",
            "tool_input": {"command": "git status && rm -rf /"},
        }
        event = normalise("claude-code", payload, identity=runtime.identity)
        recorder = Recorder(runtime.snapshot)
        recorder.record(event, runtime.pipeline.evaluate(event))

        def evaluate_and_record() -> None:
            recorder.record(event, runtime.pipeline.evaluate(event))

        children: list[int] = []

        def fork_child() -> None:
            # The parent's side only: the hook answers, forks, and exits; it never waits.
            pid = os.fork()
            if pid == 0:
                os._exit(0)
            children.append(pid)

        bare = summary(time_calls(lambda: runtime.pipeline.evaluate(event), repeat=2000))
        trail = summary(time_calls(evaluate_and_record, repeat=2000))
        fork = summary(time_calls(fork_child, repeat=300, warmup=10))
        for pid in children:
            os.waitpid(pid, 0)
        recorder.close()
    added = round(trail["p50_ms"] - bare["p50_ms"], 4)
    rows = [
        {"measure": "evaluate only (baseline)", **bare},
        {
            "measure": "evaluate + sign receipt + write receipt + audit append",
            **trail,
            "added_p50_ms": added,
            "target": "added < 1 ms",
            "verdict": verdict(added, 1.0),
        },
        {
            "measure": "fork of the detached recorder (what the hook adds)",
            **fork,
            "target": "< 1 ms",
            "verdict": verdict(fork["p50_ms"], 1.0),
        },
    ]
    report("trail", rows)


if __name__ == "__main__":
    main()
