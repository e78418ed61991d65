"""`vectimus hook --source S`: answer one tool call, payload on stdin, answer on stdout.

``vectimus hook --source S`` normally never reaches this module's argparse path: the entry
point hands it to :mod:`vectimus.client.shim`, which asks the team gateway, then the local
daemon, and only then evaluates here, inline (:func:`answer_inline`).

Nothing but the answer is written to stdout. Whatever goes wrong (bad JSON, a payload of
an unknown shape, a broken config or policy) is answered with a deny that names the problem:
an unevaluated call is never allowed. The receipt and audit record are written after the
answer, in a detached child, so they never delay the agent tool.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from vectimus.core.events import SOURCES


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--source", required=True, choices=SOURCES, help="the agent tool calling the hook"
    )


def run(args: argparse.Namespace) -> int:
    from vectimus.client.shim import hook

    return hook(args.source)


def answer_inline(source: str, raw: bytes) -> int:
    """Evaluate in this process (the last evaluator in the shim's order), answer, record."""
    from vectimus.cli.answer import answer_bytes, answer_payload, record_detached
    from vectimus.core.sessions.files import FileSessionCounter

    try:
        cwd = Path.cwd()
    except OSError:  # the directory was removed under us: the payload's cwd still counts
        cwd = Path("/")
    sessions = FileSessionCounter(session_dir())
    outcome, answer, status = answer_payload(source, raw, cwd=cwd, sessions=sessions)
    for line in outcome.warnings:
        print(line, file=sys.stderr)
    sys.stderr.flush()
    sys.stdout.buffer.write(answer_bytes(answer))
    sys.stdout.flush()
    # The tool reads until end of file: close stdout before the trail is written.
    os.close(sys.stdout.fileno())
    record_detached(source, raw, outcome)
    return status


def session_dir() -> Path:
    """Where the inline hook keeps its per-session counts: the private runtime directory,
    else under ``~/.vectimus`` (private too)."""
    from vectimus.client import locations

    runtime = locations.runtime_dir()
    if runtime is not None:
        return Path(runtime) / "sessions"
    return Path(locations.vectimus_home()) / "run" / "sessions"
