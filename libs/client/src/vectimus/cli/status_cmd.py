"""`vectimus status`: what is installed here, which evaluator answers, and the policies.

The evaluator is the first usable one in the hook's order: the team gateway (when a server
URL is set and its ``/healthz`` answers), the local daemon (when it runs; otherwise the next
hook call starts it), else inline evaluation.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import Any

from vectimus.cli.init_cmd import project_root


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--project", type=Path, help="the project directory (default: here)")


def run(args: argparse.Namespace) -> int:
    from vectimus.client import control, locations, userconf
    from vectimus.client.hookfiles import TOOLS
    from vectimus.client.installer import installed_tools

    root = project_root(args.project)
    print(f"project: {root}")
    found = installed_tools(root)
    print("hooks:")
    for tool in TOOLS:
        if tool in found:
            path, events = found[tool]
            print(f"  {tool:<12} {os.path.relpath(path, root)} ({', '.join(events)})")
        else:
            print(f"  {tool:<12} not installed")
    env_url = os.environ.get("VECTIMUS_SERVER_URL", "")
    file_url = userconf.read(locations.user_config_file()).get(("server", "url"), "")
    url = env_url or str(file_url or "")
    origin = "VECTIMUS_SERVER_URL" if env_url else locations.user_config_file()
    daemon = control.status() if os.environ.get("VECTIMUS_DAEMON", "1") != "0" else None
    print(f"evaluator: {_evaluator(url, origin, daemon)}")
    if daemon is not None:
        print(f"daemon: running, pid {daemon['pid']}, socket {daemon['socket']}")
        for project, rules in daemon["temporary_disables"].items():
            for rule, left in rules.items():
                where = project or "(no project)"
                print(f"  temporarily disabled: {rule} in {where} ({left:.0f} s left)")
    else:
        print("daemon: not running (the next hook call starts it)")
    return _policies(root)


def _evaluator(url: str, origin: object, daemon: dict[str, Any] | None) -> str:
    local = "local daemon" if daemon is not None else "inline (in the hook process)"
    if not url:
        return local
    from vectimus.client.gateway import probe

    problem = probe(url)
    if not problem:
        return f"gateway {url} (from {origin})"
    return f"{local}; the gateway {url} (from {origin}) is not answering: {problem}"


def _policies(root: Path) -> int:
    from vectimus.core.errors import VectimusError
    from vectimus.core.runtime import resolve_snapshot

    try:
        snapshot = resolve_snapshot(root)
    except VectimusError as exc:
        print(f"policies: CANNOT LOAD ({exc}); every hook call is denied until this is fixed")
        return 1
    compiled = snapshot.compiled
    active = [rule for rule in compiled.rules if rule not in snapshot.disabled]
    print(
        f"policies: {len(compiled.packs)} packs, {len(compiled.rules)} rules "
        f"({len(active)} active, {len(snapshot.disabled)} disabled); "
        f"observe mode {'ON' if snapshot.observe else 'off'}"
    )
    print(f"policy set: {compiled.policy_set_hash[:16]}")
    for line in snapshot.refused:
        print(f"  refused project setting: {line}")
    return 0
