"""`vectimus hook --source S`: answer one tool call, payload on stdin, answer on stdout.

Nothing but the answer is written to stdout. Whatever goes wrong (bad JSON, a payload of
an unknown shape, a broken config or policy) is answered with a deny that names the problem:
an unevaluated call is never allowed. The receipt and audit record are written after the
answer, in a detached child, so they never delay the agent tool.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from vectimus.core.events import SOURCES


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--source", required=True, choices=SOURCES, help="the agent tool calling the hook"
    )


def run(args: argparse.Namespace) -> int:
    raw = sys.stdin.buffer.read()
    if not raw.strip():
        return 0
    from vectimus.cli.answer import answer_payload, record_detached

    outcome, answer, status = answer_payload(args.source, raw, cwd=Path.cwd())
    if answer is not None:
        sys.stdout.write(json.dumps(answer) + "\n")
    sys.stdout.flush()
    # The tool reads until end of file: close stdout before the trail is written.
    os.close(sys.stdout.fileno())
    record_detached(args.source, raw, outcome)
    return status
