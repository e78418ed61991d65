"""Ask the daemon for its status, or send it an admin request (with the secret).

:func:`reload_daemon` is what every CLI command that changes config calls after its change
(rule, pack, mcp, observe, init, ...): a no-op when no daemon is running. The daemon also
notices changed files by itself on the next call; the reload makes it certain.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

from vectimus.client import local, locations, secret, wire


class DaemonError(Exception):
    """The daemon refused a request, or could not be reached; the message says which."""


def status(*, timeout: float = 2.0) -> dict[str, Any] | None:
    """The running daemon's status, or None when no daemon answers."""
    try:
        fields = local.call(wire.pack(b"status"), timeout=timeout)
    except (local.DaemonDown, local.DaemonUnusable):
        return None
    if len(fields) != 2 or fields[0] != b"ok":
        return None
    body = json.loads(fields[1])
    return body if isinstance(body, dict) else None


def admin(
    command: str, argument: dict[str, Any] | None = None, *, timeout: float = 10.0
) -> dict[str, Any]:
    """Send an admin request; raises local.DaemonDown when none runs, DaemonError if refused."""
    offered = secret.read_secret()
    if offered is None:
        raise DaemonError(f"no daemon secret at {locations.secret_file()}")
    request = wire.pack(
        b"admin", offered.encode(), command.encode(), json.dumps(argument or {}).encode()
    )
    try:
        fields = local.call(request, timeout=timeout)
    except local.DaemonUnusable as exc:
        raise DaemonError(str(exc)) from None
    if len(fields) == 2 and fields[0] == b"ok":
        body = json.loads(fields[1])
        return body if isinstance(body, dict) else {}
    message = fields[1].decode("utf-8", "replace") if len(fields) > 1 else "no reason given"
    raise DaemonError(message)


def reload_daemon() -> bool:
    """Tell a running daemon to drop its warm engines; False when none was running.

    Never raises: a config command must not fail because the daemon is away (it would pick
    the change up anyway, from the changed files).
    """
    try:
        admin("reload", timeout=5.0)
    except (local.DaemonDown, DaemonError):
        return False
    return True


def stop_daemon(*, wait_s: float = 10.0) -> bool:
    """Stop the running daemon and wait for its socket to go; False when none was running."""
    try:
        admin("stop")
    except local.DaemonDown:
        return False
    deadline = time.monotonic() + wait_s
    while time.monotonic() < deadline:
        if locations.socket_state(locations.socket_path()) == "missing":
            return True
        time.sleep(0.05)
    raise DaemonError("the daemon did not stop in time")


def start_daemon(*, wait_s: float = 15.0) -> dict[str, Any]:
    """Start a daemon (if none runs) and wait until it answers; its status."""
    from vectimus.client.spawn import spawn_daemon

    found = status()
    if found is not None:
        return found
    spawn_daemon(force=True)
    deadline = time.monotonic() + wait_s
    while time.monotonic() < deadline:
        found = status()
        if found is not None:
            return found
        time.sleep(0.05)
    raise DaemonError("the daemon did not come up; see ~/.vectimus/logs/daemon.log")


def _relevant_env() -> dict[str, str]:
    names = ("USER", "LOGNAME", "HOME")
    return {k: v for k, v in os.environ.items() if k.startswith("VECTIMUS_") or k in names}


def disable_temporarily(rule_id: str, seconds: int, *, cwd: Path | None = None) -> dict[str, Any]:
    """Disable ``rule_id`` for ``seconds`` in the project of ``cwd``, in daemon memory only.

    Starts the daemon if none runs (a disable lives in its memory). Raises DaemonError when
    the daemon refuses (unknown rule, bad duration, missing secret).
    """
    start_daemon()
    where = str((cwd or Path.cwd()).resolve())
    argument = {"rule": rule_id, "seconds": seconds, "cwd": where, "env": _relevant_env()}
    return admin("disable", argument)


def enable_again(rule_id: str, *, cwd: Path | None = None) -> dict[str, Any]:
    """End a temporary disable early."""
    where = str((cwd or Path.cwd()).resolve())
    return admin("enable", {"rule": rule_id, "cwd": where, "env": _relevant_env()})
