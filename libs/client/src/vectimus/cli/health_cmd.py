"""`vectimus health --redis-url URL [--service NAME]`: is a service alive?

Exit 0 when every named service (default: all three workers) has a live heartbeat in Redis,
1 when one has none, 2 when Redis cannot be asked. One line on stdout or stderr says which.
Container health checks use it: ``--this-host`` counts only heartbeats from this host
name, so a container reports on its own worker rather than on any replica.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import sys

SERVICES = ("evaluator", "receipt-signer", "audit-sink")


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--redis-url", help="Redis URL (default: VECTIMUS_REDIS_URL)")
    parser.add_argument(
        "--service", choices=SERVICES, action="append", help="the service to check (repeatable)"
    )
    parser.add_argument(
        "--this-host", action="store_true", help="count only heartbeats sent from this host"
    )
    parser.add_argument("--timeout", type=float, default=3.0, help="seconds (default 3)")


def _instances(beats: dict[str, bytes], service: str, this_host: bool) -> list[str]:
    from vectimus.core.bus.messages import HEARTBEAT_PREFIX

    prefix = f"{HEARTBEAT_PREFIX}{service}:"
    host = socket.gethostname()
    found = []
    for key, value in sorted(beats.items()):
        if not key.startswith(prefix):
            continue
        if this_host:
            try:
                if json.loads(value).get("host") != host:
                    continue
            except (ValueError, AttributeError):
                continue
        found.append(key.removeprefix(prefix))
    return found


async def _beats(url: str, timeout: float) -> dict[str, bytes]:
    import asyncio

    from vectimus.core.bus.messages import HEARTBEAT_PREFIX
    from vectimus.core.bus.redis import RedisBus

    bus = RedisBus.from_url(url, connect_timeout_s=timeout, socket_timeout_s=timeout)
    try:
        async with asyncio.timeout(timeout):
            return await bus.values(HEARTBEAT_PREFIX)
    finally:
        await bus.close()


def run(args: argparse.Namespace) -> int:
    import asyncio

    from vectimus.cli.service_cmd import redacted_url

    url = args.redis_url or os.environ.get("VECTIMUS_REDIS_URL")
    if not url:
        print("vectimus health: error: pass --redis-url or set VECTIMUS_REDIS_URL", file=sys.stderr)
        return 2
    try:
        beats = asyncio.run(_beats(url, args.timeout))
    except Exception as exc:  # noqa: BLE001 - whatever failed, the answer is "cannot tell"
        reason = f"{type(exc).__name__}: {exc}".rstrip(": ")
        print(
            f"vectimus health: cannot reach Redis at {redacted_url(url)}: {reason}", file=sys.stderr
        )
        return 2
    where = " on this host" if args.this_host else ""
    missing = []
    for service in args.service or SERVICES:
        alive = _instances(beats, service, args.this_host)
        if alive:
            print(f"{service}: {len(alive)} alive{where} ({', '.join(alive)})")
        else:
            missing.append(service)
    if missing:
        print(
            f"vectimus health: no live heartbeat{where} for {', '.join(missing)}", file=sys.stderr
        )
        return 1
    return 0
