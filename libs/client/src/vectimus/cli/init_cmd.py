"""`vectimus init [--server-url URL] [--tools LIST|all]`: set Vectimus up for a project.

- Adds the hook to each chosen tool's config in the project (keeping everything else in
  those files); a second run changes nothing. `vectimus remove` undoes it.
- ``--server-url`` writes ``[server] url`` to ``~/.vectimus/config.toml``: hooks then ask
  that gateway first.
- Makes sure the receipt signing key (and its exported public key) and the daemon's admin
  secret exist, and reloads a running daemon.

Without ``--tools``, the tools whose directories the project already has are set up
(``.claude``, ``.cursor``, ``.github/hooks``, ``.gemini``, ``.codex``), or Claude Code if none.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
from pathlib import Path

from vectimus.client.hookfiles import TOOLS


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--server-url", help="the team gateway's URL (http:// or https://)")
    parser.add_argument(
        "--tools",
        help=f"comma-separated: {','.join(TOOLS)}, or all (default: the ones the project uses)",
    )
    parser.add_argument("--project", type=Path, help="the project directory (default: here)")


def tools_from(value: str | None, detected: list[str]) -> list[str]:
    if value is None:
        return detected or ["claude-code"]
    if value.strip() == "all":
        return list(TOOLS)
    names = [name.strip() for name in value.split(",") if name.strip()]
    unknown = [name for name in names if name not in TOOLS]
    if unknown or not names:
        raise ValueError(
            f"unknown tool(s) {', '.join(unknown) or '(none)'}; valid: {', '.join(TOOLS)}, all"
        )
    return list(dict.fromkeys(names))


def project_root(given: Path | None) -> Path:
    from vectimus.core.paths import find_project_root

    start = (given or Path.cwd()).resolve()
    return find_project_root(start) or start


def vectimus_executable() -> str:
    """The absolute path of this `vectimus` (tools run hooks with their own PATH)."""
    argv0 = Path(sys.argv[0])
    if argv0.name == "vectimus" and argv0.is_file():
        return str(argv0.absolute())
    return shutil.which("vectimus") or "vectimus"


def run(args: argparse.Namespace) -> int:
    from vectimus.client.control import reload_daemon
    from vectimus.client.installer import detected_tools, install_tools

    root = project_root(args.project)
    try:
        tools = tools_from(args.tools, detected_tools(root))
    except ValueError as exc:
        print(f"vectimus init: {exc}", file=sys.stderr)
        return 2
    failed = False
    if args.server_url is not None and not _set_server_url(args.server_url):
        return 2
    print(f"project: {root}")
    for change in install_tools(root, tools, vectimus_executable()):
        where = os.path.relpath(change.path, root)
        note = f" ({change.detail})" if change.detail else ""
        print(f"  {change.tool:<12} {where}: {_WORDS[change.action]}{note}")
        failed = failed or change.action == "error"
    _keys()
    print("daemon reloaded" if reload_daemon() else "daemon: starts on the first hook call")
    return 1 if failed else 0


_WORDS = {
    "added": "hook added",
    "updated": "hook updated",
    "unchanged": "already installed",
    "error": "NOT CHANGED",
}


def _set_server_url(url: str) -> bool:
    from vectimus.client.configfile import set_value
    from vectimus.client.gateway import GatewayUnavailable, split_url
    from vectimus.core.errors import ConfigError
    from vectimus.core.paths import user_config_file

    try:
        split_url(url)
        set_value("server", "url", value=url.strip())
    except (GatewayUnavailable, ConfigError) as exc:
        print(f"vectimus init: {exc}", file=sys.stderr)
        return False
    print(f"server url: {url.strip()} (in {user_config_file()})")
    return True


def _keys() -> None:
    from vectimus.client.secret import ensure_secret
    from vectimus.core.receipts.keys import (
        export_public_key,
        key_id_for,
        keyring_dir,
        load_or_create_signing_key,
    )

    key = load_or_create_signing_key()
    public = export_public_key(key.public_key, keyring_dir())
    print(f"signing key: {key_id_for(key.public_key)} (public key: {public})")
    ensure_secret()
