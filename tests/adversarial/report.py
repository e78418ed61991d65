"""Print the adversarial corpus's catch rate and the false-positive corpus's rate.

``python -m tests.adversarial.report`` (from the repository root) runs both corpora through
the bundled packs and prints one line per technique, then the two rates.
"""

from __future__ import annotations

import time

from tests.adversarial.corpus import (
    FALSE_POSITIVES,
    by_technique,
    describe,
    evaluate,
    load_attempts,
    make_runner,
)


def main() -> int:
    runner = make_runner()
    attempts = load_attempts()
    started = time.perf_counter()
    outcomes = evaluate(runner, attempts)
    elapsed = time.perf_counter() - started
    print(f"{'technique':24} caught")
    for technique, (caught, total) in by_technique(outcomes).items():
        print(f"{technique:24} {caught}/{total}")
    caught = sum(outcome.caught for outcome in outcomes)
    print(f"\ncatch rate: {caught}/{len(outcomes)} = {caught / len(outcomes):.1%}")
    print(
        f"  deny {sum(o.result.got == 'deny' for o in outcomes)}, "
        f"escalate {sum(o.result.got == 'escalate' for o in outcomes)}, "
        f"{elapsed * 1000 / len(outcomes):.2f} ms per attempt"
    )
    for outcome in outcomes:
        if not outcome.caught:
            print("  MISSED", describe(outcome))
    report = runner.run_files(sorted(FALSE_POSITIVES.glob("*.jsonl")))
    wrong = [r for r in report.results if r.got != "allow"]
    total = len(report.results)
    print(f"false-positive rate: {len(wrong)}/{total} = {len(wrong) / total:.1%}")
    for result in wrong:
        print(f"  BLOCKED {result.file}:{result.line} {result.name}: {result.got}")
    return 0 if caught == len(outcomes) and not wrong else 1


if __name__ == "__main__":
    raise SystemExit(main())
