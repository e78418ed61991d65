"""`vectimus remove [--tools LIST|all] [--server-url]`: undo what `vectimus init` added.

Takes Vectimus's hook entries out of each tool's config in the project, and what init
created for them (a file, its directories, empty ``hooks`` tables) when nothing else is left
in them. Every other hook and setting stays. ``--server-url`` also removes ``[server] url``
from ``~/.vectimus/config.toml`` (it is user-wide, so it stays unless asked).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from vectimus.cli.init_cmd import project_root, tools_from
from vectimus.client.hookfiles import TOOLS


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--tools", help=f"comma-separated: {','.join(TOOLS)}, or all (default)")
    parser.add_argument("--project", type=Path, help="the project directory (default: here)")
    parser.add_argument(
        "--server-url", action="store_true", help="also remove [server] url from the user config"
    )


def run(args: argparse.Namespace) -> int:
    from vectimus.client.control import reload_daemon
    from vectimus.client.installer import remove_tools

    root = project_root(args.project)
    try:
        tools = tools_from(args.tools or "all", [])
    except ValueError as exc:
        print(f"vectimus remove: {exc}", file=sys.stderr)
        return 2
    print(f"project: {root}")
    failed = False
    for change in remove_tools(root, tools):
        if change.action == "absent":
            continue
        where = os.path.relpath(change.path, root)
        detail = f": {change.detail}" if change.detail else ""
        print(f"  {change.tool:<12} {where}: {change.action}{detail}")
        failed = failed or change.action == "error"
    if args.server_url:
        from vectimus.client.configfile import unset_value

        print("server url removed" if unset_value("server", "url") else "no server url was set")
    reload_daemon()
    return 1 if failed else 0
