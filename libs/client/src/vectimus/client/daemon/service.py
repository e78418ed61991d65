"""What the daemon does with each request (the socket handling is in :mod:`.server`).

- ``hook``: decide with the warm runtime, answer with the rendered bytes and exit status
  (exactly what the inline hook would print), and queue the trail.
- ``status``: read-only facts (no secret needed).
- ``admin``: reload, stop, disable a rule for a while, enable it again. Each needs the
  secret from ``~/.vectimus/daemon-secret``; without it the request is refused and logged.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from vectimus.cli.answer import answer_bytes, answer_payload
from vectimus.client import locations, secret, wire
from vectimus.client.daemon.disables import MAX_SECONDS, TemporaryDisables
from vectimus.client.daemon.engines import Engines
from vectimus.client.daemon.trail import Trail
from vectimus.core.errors import VectimusError
from vectimus.core.events import SOURCES
from vectimus.core.sessions.memory import MemorySessionCounter

log = logging.getLogger("vectimus.daemon")
VERSION = "1"


def _home_of(environ: Mapping[str, str]) -> str:
    override = environ.get("VECTIMUS_HOME")
    if override:
        return override
    return os.path.join(environ.get("HOME", ""), ".vectimus")


def _ok(body: Mapping[str, Any]) -> bytes:
    return wire.pack(b"ok", json.dumps(body).encode())


def _refused(message: str) -> bytes:
    return wire.pack(b"refused", message.encode())


class Service:
    def __init__(self, *, idle_s: float, socket_path: str) -> None:
        self.idle_s = idle_s
        self.socket_path = socket_path
        self.home = locations.vectimus_home()
        self.disables = TemporaryDisables()
        self.engines = Engines(self.disables)
        self.trail = Trail()
        # Per-session counts live as long as the daemon; a restart starts them again.
        self.sessions = MemorySessionCounter()
        self.started = time.time()
        self.requests = 0
        self.stop_requested = threading.Event()
        self._admin: dict[str, Callable[[dict[str, Any]], bytes]] = {
            "reload": self._reload,
            "stop": self._stop,
            "disable": self._disable,
            "enable": self._enable,
        }

    def handle(self, fields: list[bytes]) -> bytes:
        verb = fields[0] if fields else b""
        self.requests += 1
        if verb == b"hook" and len(fields) == 5:
            return self._hook(fields[1], fields[2], fields[3], fields[4])
        if verb == b"status" and len(fields) == 1:
            return _ok(self.status())
        if verb == b"admin" and len(fields) == 4:
            return self._admin_request(fields[1], fields[2], fields[3])
        return _refused("unknown request")

    # --- hook ----------------------------------------------------------------------------

    def _hook(self, source_b: bytes, cwd_b: bytes, environ_b: bytes, raw: bytes) -> bytes:
        source = source_b.decode("utf-8", "replace")
        if source not in SOURCES:
            return _refused(f"unknown source {source!r}")
        environ = wire.unpack_environ(environ_b)
        # The daemon's files (keys, receipts, audit) are its own home's; another home's
        # caller evaluates inline instead of being answered from the wrong config.
        if os.path.realpath(_home_of(environ)) != os.path.realpath(self.home):
            return _refused("this daemon serves another VECTIMUS_HOME")
        cwd = Path(os.fsdecode(cwd_b))
        outcome, answer, status = answer_payload(
            source,
            raw,
            cwd=cwd,
            runtime_for=lambda at: self.engines.runtime_for(at, environ),
            sessions=self.sessions,
        )
        self.trail.submit(source, raw, outcome)
        stderr = "".join(f"{line}\n" for line in outcome.warnings).encode()
        return wire.pack(b"ok", str(status).encode(), answer_bytes(answer), stderr)

    # --- status --------------------------------------------------------------------------

    def status(self) -> dict[str, Any]:
        return {
            "pid": os.getpid(),
            "version": VERSION,
            "home": self.home,
            "socket": self.socket_path,
            "started_at": self.started,
            "uptime_s": round(time.time() - self.started, 1),
            "idle_timeout_s": self.idle_s,
            "requests": self.requests,
            "engine_builds": self.engines.builds,
            "projects": self.engines.summary(),
            "temporary_disables": self.disables.listing(),
            "trail": {
                "recorded": self.trail.recorded,
                "failed": self.trail.failed,
                "pending": self.trail.pending(),
            },
        }

    # --- admin ---------------------------------------------------------------------------

    def _admin_request(self, offered: bytes, command_b: bytes, argument: bytes) -> bytes:
        command = command_b.decode("utf-8", "replace")
        if not secret.matches(offered):
            log.warning("refused admin request %r: missing or wrong daemon secret", command)
            return _refused("admin requests need the daemon secret")
        handler = self._admin.get(command)
        if handler is None:
            return _refused(f"unknown admin command {command!r}")
        try:
            parsed = json.loads(argument or b"{}")
        except ValueError:
            return _refused("the admin argument is not JSON")
        if not isinstance(parsed, dict):
            return _refused("the admin argument is not a JSON object")
        log.info("admin request %s %s", command, parsed)
        return handler(parsed)

    def _reload(self, _argument: dict[str, Any]) -> bytes:
        self.engines.clear()
        return _ok({"reloaded": True})

    def _stop(self, _argument: dict[str, Any]) -> bytes:
        self.stop_requested.set()
        return _ok({"stopping": True})

    def _rule_target(self, argument: dict[str, Any]) -> tuple[str, str] | bytes:
        """(project root, rule id) of a disable/enable request, or a refusal."""
        rule_id, cwd = argument.get("rule"), argument.get("cwd")
        environ = argument.get("env", {})
        if not isinstance(rule_id, str) or not isinstance(cwd, str) or not cwd.startswith("/"):
            return _refused("a rule id and an absolute cwd are needed")
        if not isinstance(environ, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in environ.items()
        ):
            return _refused("env must be a table of strings")
        try:
            snapshot = self.engines.snapshot_for(Path(cwd), environ)
        except VectimusError as exc:
            return _refused(f"the policies for {cwd} could not be loaded: {exc}")
        if rule_id not in snapshot.compiled.rules:
            return _refused(f"unknown rule id {rule_id!r} in {snapshot.project_root or cwd}")
        return snapshot.project_root, rule_id

    def _disable(self, argument: dict[str, Any]) -> bytes:
        seconds = argument.get("seconds")
        if isinstance(seconds, bool) or not isinstance(seconds, int | float):
            return _refused("seconds must be a number")
        if not 0 < seconds <= MAX_SECONDS:
            return _refused(f"seconds must be between 1 and {MAX_SECONDS}")
        target = self._rule_target(argument)
        if isinstance(target, bytes):
            return target
        project, rule_id = target
        self.disables.add(project, rule_id, float(seconds))
        return _ok({"project": project, "rule": rule_id, "seconds": seconds})

    def _enable(self, argument: dict[str, Any]) -> bytes:
        target = self._rule_target(argument)
        if isinstance(target, bytes):
            return target
        project, rule_id = target
        return _ok(
            {"project": project, "rule": rule_id, "removed": self.disables.remove(project, rule_id)}
        )
