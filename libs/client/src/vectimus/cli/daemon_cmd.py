"""`vectimus daemon start|stop|status|reload|run|disable|enable`: the warm local evaluator.

The daemon starts by itself on the first hook call and exits after 30 minutes idle, so these
are for looking at it and steering it. ``stop``, ``reload``, ``disable`` and ``enable`` carry
the secret from ``~/.vectimus/daemon-secret``; ``disable RULE --for 30m`` lasts only in the
daemon's memory, for the current project.
"""

from __future__ import annotations

import argparse
import json
import sys
import time

from vectimus.client import control, local


def configure(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    sub.add_parser("start", help="start the daemon in the background (if not running)")
    sub.add_parser("stop", help="stop the running daemon")
    status = sub.add_parser("status", help="show whether it runs, and what it holds")
    status.add_argument("--json", action="store_true", help="print the status as JSON")
    sub.add_parser("reload", help="drop the warm engines (they rebuild on the next call)")
    sub.add_parser("run", help="run in the foreground (for debugging and service managers)")
    disable = sub.add_parser("disable", help="disable a rule for a while, in this project")
    disable.add_argument("rule", help="the rule id")
    disable.add_argument("--for", dest="duration", required=True, help="e.g. 30m, 2h, 90s")
    enable = sub.add_parser("enable", help="end a temporary disable early")
    enable.add_argument("rule", help="the rule id")


def run(args: argparse.Namespace) -> int:
    try:
        return _ACTIONS[args.action](args)
    except control.DaemonError as exc:
        print(f"vectimus daemon: {exc}", file=sys.stderr)
        return 1
    except local.DaemonDown:
        print("vectimus daemon: not running", file=sys.stderr)
        return 1


def _start(_args: argparse.Namespace) -> int:
    found = control.start_daemon()
    print(f"daemon running (pid {found['pid']}, socket {found['socket']})")
    return 0


def _stop(_args: argparse.Namespace) -> int:
    print("daemon stopped" if control.stop_daemon() else "daemon was not running")
    return 0


def _status(args: argparse.Namespace) -> int:
    found = control.status()
    if args.json:
        print(json.dumps(found or {"running": False}, indent=2))
        return 0 if found else 1
    if found is None:
        print("daemon: not running (it starts on the next hook call)")
        return 1
    print(f"daemon: running, pid {found['pid']}, up {found['uptime_s']:.0f} s")
    print(f"socket: {found['socket']}")
    print(f"idle exit after: {found['idle_timeout_s']:g} s; requests served: {found['requests']}")
    for project in found["projects"]:
        name = project["project"] or "(no project)"
        print(f"warm engine: {name}: {project['rules']} rules in {len(project['packs'])} packs")
    for project, rules in found["temporary_disables"].items():
        for rule, left in rules.items():
            print(f"temporarily disabled: {rule} in {project or '(no project)'}, {left:.0f} s left")
    return 0


def _reload(_args: argparse.Namespace) -> int:
    print("daemon reloaded" if control.reload_daemon() else "daemon was not running")
    return 0


def _run(_args: argparse.Namespace) -> int:
    from vectimus.client.daemon.server import main

    return main()


def _disable(args: argparse.Namespace) -> int:
    return disable_for(args.rule, args.duration)


def disable_for(rule_id: str, duration: str) -> int:
    """`... disable RULE --for 30m`; also the body of `vectimus rule disable RULE --for 30m`."""
    from vectimus.client.daemon.disables import parse_duration

    try:
        seconds = parse_duration(duration)
    except ValueError as exc:
        print(f"vectimus: {exc}", file=sys.stderr)
        return 2
    try:
        done = control.disable_temporarily(rule_id, seconds)
    except control.DaemonError as exc:
        print(f"vectimus: {exc}", file=sys.stderr)
        return 1
    until = time.strftime("%H:%M:%S", time.localtime(time.time() + seconds))
    where = done["project"] or "calls outside any project"
    print(f"{rule_id} disabled for {duration} (until {until}) in {where}")
    print("held in daemon memory only: a daemon restart enforces it again")
    return 0


def _enable(args: argparse.Namespace) -> int:
    done = control.enable_again(args.rule)
    print(f"{args.rule}: " + ("enabled again" if done["removed"] else "was not disabled"))
    return 0


_ACTIONS = {
    "start": _start,
    "stop": _stop,
    "status": _status,
    "reload": _reload,
    "run": _run,
    "disable": _disable,
    "enable": _enable,
}
