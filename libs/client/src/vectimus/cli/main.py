"""Entry point of the `vectimus` command.

Commands are named by module path and imported only when chosen, so `vectimus hook` never
pays for the imports of `vectimus verify` (and `--help` imports nothing heavy). Each command
module defines ``configure(parser)`` and ``run(args) -> int``.
"""

from __future__ import annotations

import argparse
import importlib
import sys

COMMANDS: dict[str, tuple[str, str]] = {
    "hook": ("vectimus.cli.hook_cmd", "answer one agent tool's hook call (payload on stdin)"),
    "eval": ("vectimus.cli.eval_cmd", "evaluate JSONL hook payloads and print JSONL decisions"),
    "verify": ("vectimus.cli.verify_cmd", "verify one signed receipt, or a receipt chain"),
    "receipts": ("vectimus.cli.receipts_cmd", "prune stored receipts; export or rotate the key"),
    "audit": ("vectimus.cli.audit_cmd", "show or query the audit log (tail, query)"),
}


def _parser(chosen: str | None) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="vectimus", description="Governance for AI coding agents."
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, (module_path, help_text) in COMMANDS.items():
        command_parser = sub.add_parser(name, help=help_text, description=help_text)
        if name == chosen:
            importlib.import_module(module_path).configure(command_parser)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    chosen = next((a for a in argv if not a.startswith("-")), None)
    parser = _parser(chosen if chosen in COMMANDS else None)
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 2
    module = importlib.import_module(COMMANDS[args.command][0])
    status: int = module.run(args)
    return status


if __name__ == "__main__":
    sys.exit(main())
