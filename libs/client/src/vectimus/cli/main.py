"""Entry point of the `vectimus` command.

Commands are named by module path and imported only when chosen, so `vectimus hook` never
pays for the imports of `vectimus verify` (and `--help` imports nothing heavy). Each command
module defines ``configure(parser)`` and ``run(args) -> int``.
"""

from __future__ import annotations

import sys

TYPE_CHECKING = False  # `typing` costs ~7 ms of the hook's start-up
if TYPE_CHECKING:
    import argparse

COMMANDS: dict[str, tuple[str, str]] = {
    "hook": ("vectimus.cli.hook_cmd", "answer one agent tool's hook call (payload on stdin)"),
    "eval": ("vectimus.cli.eval_cmd", "evaluate JSONL hook payloads and print JSONL decisions"),
    "verify": ("vectimus.cli.verify_cmd", "verify one signed receipt, or a receipt chain"),
    "receipts": ("vectimus.cli.receipts_cmd", "prune stored receipts; export or rotate the key"),
    "audit": ("vectimus.cli.audit_cmd", "show or query the audit log (tail, query)"),
    "server": ("vectimus.cli.server_cmd", "run the team gateway (server start)"),
    "service": ("vectimus.cli.service_cmd", "run a worker: evaluator, receipt-signer, audit-sink"),
    "health": ("vectimus.cli.health_cmd", "exit 0 when a service has a live heartbeat in Redis"),
    "test": ("vectimus.cli.test_cmd", "run the policy packs' fixtures (bundled and your own)"),
    "rule": ("vectimus.cli.rule_cmd", "list, show, enable, disable or re-level rules"),
    "pack": ("vectimus.cli.pack_cmd", "list, enable or disable policy packs"),
    "policy": ("vectimus.cli.policy_cmd", "build, install or show signed policy bundles"),
    "mcp": ("vectimus.cli.mcp_cmd", "allow, deny or list MCP servers"),
    "init": ("vectimus.cli.init_cmd", "install the hook in each agent tool; connect to a gateway"),
    "remove": ("vectimus.cli.remove_cmd", "remove exactly the hooks `vectimus init` added"),
    "status": ("vectimus.cli.status_cmd", "what is installed, which evaluator answers, policies"),
    "observe": ("vectimus.cli.observe_cmd", "observe mode on, off or status (log, never block)"),
    "daemon": ("vectimus.cli.daemon_cmd", "start, stop, reload or inspect the local daemon"),
}


def _parser(chosen: str | None) -> argparse.ArgumentParser:
    import argparse
    import importlib

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
    if argv[:1] == ["hook"]:
        # The hook's fast path: no argparse, built-in modules only (vectimus.client.shim).
        from vectimus.client.shim import run_hook

        answered = run_hook(argv[1:])
        if answered is not None:
            return answered
    import importlib

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
