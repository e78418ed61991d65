"""`vectimus mcp allow NAME | deny NAME | list`: the MCP server allowlist.

Changes go to the user-level config (~/.vectimus/config.toml, [mcp] allowed_servers) only.
"""

from __future__ import annotations

import argparse
import os

from vectimus.cli.manage import edit_user_config, fail

_MAX_NAME = 200


def configure(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="mcp_command", metavar="ACTION", required=True)
    sub.add_parser("list", help="the servers on the allowlist")
    sub.add_parser("allow", help="put a server on the allowlist").add_argument("name")
    sub.add_parser("deny", help="take a server off the allowlist").add_argument("name")


def valid_name(name: str) -> str:
    """Why ``name`` cannot be a server name, or "" when it can."""
    if not name.strip():
        return "a server name cannot be empty"
    if name != name.strip():
        return f"{name!r} has leading or trailing spaces"
    if len(name) > _MAX_NAME:
        return f"a server name is at most {_MAX_NAME} characters"
    if any(not char.isprintable() for char in name) or "," in name:
        return f"{name!r} contains a comma or a control character"
    return ""


def run(args: argparse.Namespace) -> int:
    from vectimus.core.config import edit
    from vectimus.core.errors import VectimusError
    from vectimus.core.paths import user_config_file

    if args.mcp_command == "list":
        path = user_config_file()
        try:
            servers = edit.strings(edit.load(path), "mcp", "allowed_servers")
        except VectimusError as exc:
            return fail("mcp", str(exc), 2)
        print(f"allowed MCP servers in {path}:")
        for server in servers:
            print(f"  {server}")
        if not servers:
            print("  (none: every MCP call is denied)")
        if os.environ.get("VECTIMUS_MCP_ALLOWED"):
            print(f"VECTIMUS_MCP_ALLOWED overrides it: {os.environ['VECTIMUS_MCP_ALLOWED']!r}")
        return 0
    name = args.name
    problem = valid_name(name)
    if problem:
        return fail("mcp", problem)
    if args.mcp_command == "allow":
        result = edit_user_config(
            "mcp", lambda d: edit.add_to_list(d, "mcp", "allowed_servers", name)
        )
        done, same = f"allowed MCP server {name}", f"{name} is already allowed"
    else:
        result = edit_user_config(
            "mcp", lambda d: edit.remove_from_list(d, "mcp", "allowed_servers", name)
        )
        done, same = f"removed MCP server {name} from the allowlist", f"{name} is not allowed"
    if isinstance(result, int):
        return result
    path, changed = result
    print(f"{done} in {path}" if changed else f"{same}: no change")
    return 0
