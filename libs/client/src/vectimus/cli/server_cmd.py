"""`vectimus server start`: the team gateway on granian.

Without a Redis URL it runs embedded: the gateway and the evaluator, receipt-signer and
audit-sink services in one process, over the in-process bus (so one worker only). With
``--redis-url`` (or VECTIMUS_REDIS_URL) it runs the gateway alone, and the services run as
``vectimus service evaluator|receipt-signer|audit-sink --redis-url URL``.

Settings come from the flags, then VECTIMUS_* variables, then ./vectimus.toml, then
~/.vectimus/config.toml. The resolved values are passed to granian's worker processes as
VECTIMUS_* variables, which the app factory reads: so
``granian --interface asgi --factory vectimus.gateway.app:create_app`` behaves the same.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any


def configure(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="server_command", metavar="ACTION")
    start = sub.add_parser("start", help="serve the gateway (embedded unless a Redis URL is set)")
    start.add_argument("--host", help="address to listen on (default 127.0.0.1)")
    start.add_argument("--port", type=int, help="port to listen on (default 8420)")
    start.add_argument("--workers", type=int, help="gateway worker processes (distributed mode)")
    start.add_argument("--policy-dir", type=Path, help="policy packs to serve (replaces bundled)")
    start.add_argument("--ssl-certfile", type=Path, help="TLS certificate (PEM)")
    start.add_argument("--ssl-keyfile", type=Path, help="TLS private key (PEM)")
    start.add_argument(
        "--observe",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="log and record decisions, but always allow",
    )
    start.add_argument("--redis-url", help="Redis URL: run distributed (gateway only)")


def _overrides(args: argparse.Namespace) -> dict[str, Any]:
    names = ("host", "port", "workers", "policy_dir", "ssl_certfile", "ssl_keyfile", "observe")
    found = {name: getattr(args, name) for name in names}
    found["redis_url"] = args.redis_url
    return {k: v for k, v in found.items() if v is not None}


def run(args: argparse.Namespace) -> int:
    if getattr(args, "server_command", None) != "start":
        print("usage: vectimus server start [options]  (see --help)", file=sys.stderr)
        return 2
    from vectimus.core.errors import VectimusError
    from vectimus.gateway.approvals.config import check_escalation
    from vectimus.gateway.settings import load_settings, to_environment

    try:
        settings = load_settings(_overrides(args))
        check_escalation(settings)
    except VectimusError as exc:
        print(f"vectimus server: {exc}", file=sys.stderr)
        return 2
    workers = settings.workers
    if settings.redis_url is None and workers > 1:
        print(
            f"vectimus server: embedded mode runs every service in one process, so it serves "
            f"with 1 worker, not {workers}. Set --redis-url (or VECTIMUS_REDIS_URL) to run "
            "several gateway workers.",
            file=sys.stderr,
        )
        workers = 1
    environment = to_environment(settings)
    environment["VECTIMUS_WORKERS"] = str(workers)
    os.environ.update(environment)
    return _serve(settings, workers)


def _serve(settings: Any, workers: int) -> int:
    from granian import Granian
    from granian.constants import Interfaces

    mode = "distributed" if settings.redis_url is not None else "embedded"
    scheme = "https" if settings.ssl_certfile else "http"
    print(
        f"vectimus server: {mode} mode on {scheme}://{settings.host}:{settings.port} "
        f"({workers} worker{'s' if workers > 1 else ''})",
        file=sys.stderr,
    )
    server = Granian(
        "vectimus.gateway.app:create_app",
        factory=True,
        interface=Interfaces.ASGI,
        address=settings.host,
        port=settings.port,
        workers=workers,
        ssl_cert=settings.ssl_certfile,
        ssl_key=settings.ssl_keyfile,
        respawn_failed_workers=True,
        log_access=False,
    )
    server.serve()
    return 0
