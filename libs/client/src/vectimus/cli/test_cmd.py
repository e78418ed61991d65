"""`vectimus test [--policy-dir DIR]... [--format text|json]`: run the packs' fixtures.

The bundled packs and every pack under each --policy-dir are compiled together (as they
would be loaded) and every pack's ``tests/*.jsonl`` fixtures are run against them. The
exit status is 0 when every fixture passed, 1 when any failed, 2 when the policies could
not be loaded.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--policy-dir",
        action="append",
        type=Path,
        default=[],
        metavar="DIR",
        help="a directory of your own packs to test with the bundled ones (repeatable)",
    )
    parser.add_argument(
        "--format", choices=("text", "json"), default="text", help="output format (default text)"
    )
    parser.add_argument(
        "--mcp-allowed",
        default="",
        metavar="NAMES",
        help="comma-separated MCP servers on the allowlist for fixtures that do not set one",
    )


def run(args: argparse.Namespace) -> int:
    from vectimus.core.assemble import bundled_policy_dir
    from vectimus.core.errors import VectimusError
    from vectimus.core.packtest import describe, run_packs

    allowed = [name.strip() for name in args.mcp_allowed.split(",") if name.strip()]
    try:
        dirs = [bundled_policy_dir(), *args.policy_dir]
        report = run_packs(dirs, mcp_allowed=allowed)
    except VectimusError as exc:
        print(f"vectimus test: cannot load the policies: {exc}", file=sys.stderr)
        return 2
    failures = report.failures
    if args.format == "json":
        summary = {
            "fixtures": len(report.results),
            "passed": len(report.results) - len(failures),
            "failed": len(failures),
            "files": report.files,
            "failures": [result.as_dict() for result in failures],
        }
        print(json.dumps(summary, indent=2))
    else:
        for result in failures:
            print(describe(result))
        passed = len(report.results) - len(failures)
        print(
            f"{len(report.results)} fixtures in {len(report.files)} files: "
            f"{passed} passed, {len(failures)} failed"
        )
    return 1 if failures else 0
