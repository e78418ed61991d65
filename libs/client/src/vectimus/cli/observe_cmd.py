"""`vectimus observe on|off|status`: log every decision but never block (user-level).

``on`` writes ``observe = true`` to ``~/.vectimus/config.toml``; ``off`` removes it. A project
config can switch observe off but never on, and ``VECTIMUS_OBSERVE`` overrides both. The
running daemon is reloaded, so the change holds from the next hook call.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("action", choices=("on", "off", "status"))


def run(args: argparse.Namespace) -> int:
    from vectimus.client.configfile import set_value, unset_value
    from vectimus.client.control import reload_daemon
    from vectimus.core.errors import ConfigError
    from vectimus.core.paths import user_config_file

    try:
        if args.action == "on":
            set_value("observe", value=True)
            print(
                f"observe mode on (in {user_config_file()}): decisions are logged, never enforced"
            )
        elif args.action == "off":
            unset_value("observe")
            print(f"observe mode off (in {user_config_file()}): decisions are enforced")
        if args.action != "status":
            reload_daemon()
    except ConfigError as exc:
        print(f"vectimus observe: {exc}", file=sys.stderr)
        return 1
    return _status()


def _status() -> int:
    from vectimus.client.configfile import get_value
    from vectimus.core.config import load_config
    from vectimus.core.errors import ConfigError

    try:
        effective = load_config(Path.cwd()).settings.observe
    except ConfigError as exc:
        print(f"vectimus observe: {exc}", file=sys.stderr)
        return 1
    user = get_value("observe") is True
    print(f"observe mode: {'ON' if effective else 'off'} here")
    print(f"  user config: {'on' if user else 'off'}")
    if "VECTIMUS_OBSERVE" in os.environ:
        print(f"  VECTIMUS_OBSERVE={os.environ['VECTIMUS_OBSERVE']} (overrides the files)")
    return 0
