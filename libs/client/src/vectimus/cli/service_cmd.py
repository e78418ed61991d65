"""`vectimus service evaluator|receipt-signer|audit-sink`: run one stream worker.

Settings come from the flags, then VECTIMUS_* variables, then defaults. Logs are JSON lines
on stderr. An unreachable Redis at start is waited for (with backoff, logged), not a crash;
SIGTERM or SIGINT stops reading, drains in-flight work until the drain deadline, and exits
0. Any other failure to start is one line on stderr and exit status 2.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

SERVICES = ("evaluator", "receipt-signer", "audit-sink")
# Options that belong to one service: flag -> (settings field, the service it applies to).
_ONLY = {
    "policy_dir": "evaluator",
    "observe": "evaluator",
    "key_file": "receipt-signer",
    "journal_dir": "receipt-signer",
    "audit_dir": "audit-sink",
    "receipts_dir": "audit-sink",
}
_COMMON = (
    "redis_url",
    "consumer",
    "batch_size",
    "claim_idle_ms",
    "max_deliveries",
    "drain_timeout_s",
    "log_level",
)


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("name", choices=SERVICES, metavar="SERVICE", help=" | ".join(SERVICES))
    parser.add_argument("--redis-url", help="Redis URL (default: VECTIMUS_REDIS_URL)")
    parser.add_argument("--consumer", help="name in the consumer group (default: <host>-<pid>)")
    parser.add_argument("--batch-size", type=int, help="entries per read (default 100)")
    parser.add_argument(
        "--claim-idle-ms", type=int, help="take over entries pending this long (default 15000)"
    )
    parser.add_argument(
        "--max-deliveries", type=int, help="dead-letter an entry after N deliveries (default 5)"
    )
    parser.add_argument(
        "--drain-timeout", dest="drain_timeout_s", type=float, help="seconds to drain on SIGTERM"
    )
    parser.add_argument("--log-level", choices=("debug", "info", "warning", "error"))
    parser.add_argument("--policy-dir", type=Path, help="evaluator: policy packs to use")
    parser.add_argument(
        "--observe", action="store_true", default=None, help="evaluator: log, always allow"
    )
    parser.add_argument("--key-file", type=Path, help="receipt-signer: Ed25519 private key (PEM)")
    parser.add_argument("--journal-dir", type=Path, help="receipt-signer: signed-receipt journal")
    parser.add_argument("--audit-dir", type=Path, help="audit-sink: audit log directory")
    parser.add_argument("--receipts-dir", type=Path, help="audit-sink: receipt files directory")


def _error(message: str) -> int:
    print(f"vectimus service: error: {message}", file=sys.stderr)
    return 2


def _settings_class(name: str) -> Any:
    if name == "evaluator":
        from vectimus.evaluator.settings import EvaluatorSettings

        return EvaluatorSettings
    if name == "receipt-signer":
        from vectimus.receipt_signer.settings import ReceiptSignerSettings

        return ReceiptSignerSettings
    from vectimus.audit_sink.settings import AuditSinkSettings

    return AuditSinkSettings


def _runner(name: str) -> Any:
    if name == "evaluator":
        from vectimus.evaluator.main import run as run_evaluator

        return run_evaluator
    if name == "receipt-signer":
        from vectimus.receipt_signer.main import run as run_signer

        return run_signer
    from vectimus.audit_sink.main import run as run_sink

    return run_sink


def run(args: argparse.Namespace) -> int:
    from vectimus.core.errors import VectimusError

    for option, owner in _ONLY.items():
        if getattr(args, option) is not None and owner != args.name:
            flag = "--" + option.replace("_", "-")
            return _error(f"{flag} applies to the {owner} only, not the {args.name}")
    explicit = {name: getattr(args, name) for name in (*_COMMON, *_ONLY) if name in _explicit(args)}
    try:
        settings = _settings_class(args.name).from_env(os.environ, **explicit)
    except VectimusError as exc:
        return _error(str(exc))
    if settings.redis_url is None:
        return _error("no Redis URL: pass --redis-url or set VECTIMUS_REDIS_URL")
    from vectimus.core.logs import configure_logging

    configure_logging(args.name, level=settings.log_level)
    from vectimus.core.bus.loop import run

    try:
        return run(_serve(args.name, settings))
    except VectimusError as exc:
        return _error(str(exc))
    except KeyboardInterrupt:
        return 0
    except Exception as exc:  # noqa: BLE001 - one line, never a traceback
        return _error(f"{type(exc).__name__}: {exc}")


def _explicit(args: argparse.Namespace) -> set[str]:
    """Options given on the command line (the rest fall through to the environment)."""
    return {name for name, value in vars(args).items() if value is not None}


def redacted_url(url: str) -> str:
    """``url`` without its password (in the user part, or a ``password`` query parameter as
    ``unix://`` URLs carry it), fit for a message."""
    from urllib.parse import parse_qsl, urlencode, urlsplit

    try:
        parts = urlsplit(url)
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        return "(unparseable URL)"
    query = parse_qsl(parts.query, keep_blank_values=True)
    in_query = any(name == "password" for name, _ in query)
    if parts.password is None and not in_query:
        return url
    if parts.password is not None:
        user = parts.username or ""
        parts = parts._replace(netloc=f"{user}:***@{parts.hostname or ''}{port}")
    if in_query:
        masked = [(name, "***" if name == "password" else value) for name, value in query]
        parts = parts._replace(query=urlencode(masked, safe="*"))
    query_part = f"?{parts.query}" if parts.query else ""
    return f"{parts.scheme}://{parts.netloc}{parts.path}{query_part}"


async def wait_for_bus(bus: Any, url: str, stop: Any, log: Any) -> bool:
    """Ping until the bus answers (True) or ``stop`` is set (False), backing off to 5 s."""
    import asyncio

    backoff = 0.2
    while not stop.is_set():
        try:
            if await bus.ping():
                return True
        except Exception as exc:  # noqa: BLE001 - any failure to reach it means "wait"
            log.warning(
                "redis unreachable: retrying",
                url=redacted_url(url),
                error=f"{type(exc).__name__}: {exc}",
                retry_in_s=backoff,
            )
        try:
            await asyncio.wait_for(stop.wait(), backoff)
        except TimeoutError:
            backoff = min(backoff * 2, 5.0)
    return False


async def _serve(name: str, settings: Any) -> int:
    import asyncio
    import signal

    from vectimus.core import heap
    from vectimus.core.bus.redis import RedisBus
    from vectimus.core.logs import get_logger

    log = get_logger("vectimus.service").bind(component=name)
    options: dict[str, Any] = {}
    if name == "evaluator":  # bad policies stop the start before Redis is awaited
        from vectimus.evaluator.main import first_runtime

        options["runtime"] = await first_runtime(settings)
    elif name == "receipt-signer":  # likewise an unreadable key
        from vectimus.receipt_signer.main import load_key

        await asyncio.to_thread(load_key, settings)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    try:
        bus = RedisBus.from_url(settings.redis_url)
    except ValueError as exc:
        return _error(f"invalid Redis URL {redacted_url(settings.redis_url)}: {exc}")
    try:
        if not await wait_for_bus(bus, settings.redis_url, stop, log):
            return 0
        heap.settle()
        await _runner(name)(bus, settings, stop, **options)
    finally:
        await bus.close()
    return 0
