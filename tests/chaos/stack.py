"""The distributed stack as real processes, and the faults that can be done to each of them.

A private ``redis-server`` with the append-only file on (as compose.yaml runs it, so a
restart keeps the streams and the pending entries), ``vectimus server start --redis-url``
with N granian workers, and the evaluator(s), receipt-signer and audit-sink as
``vectimus service`` processes, all sharing one VECTIMUS_HOME: the signer's key and keyring,
the audit log (``home/logs``) and the receipt files (``home/receipts``).

Reclaiming is fast (an entry idle for a second is taken over), so a killed worker's work
moves on within the run. A killed service is started again as a new process with a new
consumer name, as a supervisor would.
"""

from __future__ import annotations

import os
import signal
import time
from contextlib import suppress
from dataclasses import dataclass, field
from pathlib import Path

import redis

from tests.chaos.procstat import children
from tests.integration.gateway.conftest import AUTH, VECTIMUS, Gateway, Proc, base_env
from tests.redis_server import RedisServer, free_port, redis_binary
from vectimus.core.bus.messages import (
    DECISIONS_STREAM,
    EVAL_STREAM,
    EVENTS_STREAM,
    HEARTBEAT_PREFIX,
    RECEIPTS_STREAM,
)

SERVICES = ("evaluator", "receipt-signer", "audit-sink")
# As compose.yaml runs Redis: the append-only file, fsynced every second; refuse writes
# when full rather than evict stream entries.
PERSISTENT = (
    "--appendonly",
    "yes",
    "--appendfsync",
    "everysec",
    "--maxmemory-policy",
    "noeviction",
)
WORKER_ENV = {
    "VECTIMUS_LOG_LEVEL": "warning",
    "VECTIMUS_CLAIM_IDLE_MS": "1000",
    "VECTIMUS_RECLAIM_INTERVAL_S": "0.5",
    "VECTIMUS_DRAIN_TIMEOUT_S": "5",
}
WORK_STREAMS = (EVAL_STREAM, DECISIONS_STREAM, RECEIPTS_STREAM)


class NoRedisError(RuntimeError):
    """No redis-server binary: the stack cannot run."""


@dataclass(frozen=True)
class StackConfig:
    gateway_workers: int = 2
    evaluators: int = 2
    eval_deadline_ms: int = 1000
    # bench_server.py's finding: on two cores the trail must not preempt the answer path.
    nice_trail: bool = False


@dataclass
class Stack:
    root: Path
    config: StackConfig = field(default_factory=StackConfig)
    services: dict[str, list[Proc]] = field(default_factory=dict)
    gateway: Gateway | None = None
    started: int = 0

    def __post_init__(self) -> None:
        binary = redis_binary()
        if binary is None:
            raise NoRedisError("the chaos stack needs a redis-server binary")
        self.redis = RedisServer(binary, args=PERSISTENT)
        self.home.mkdir(parents=True, exist_ok=True)

    # --- where things are --------------------------------------------------------------

    @property
    def home(self) -> Path:
        return self.root / "home"

    @property
    def audit_dir(self) -> Path:
        return self.home / "logs"

    @property
    def receipts_dir(self) -> Path:
        return self.home / "receipts"

    @property
    def keyring_dir(self) -> Path:
        return self.home / "keys"

    @property
    def url(self) -> str:
        assert self.gateway is not None
        return self.gateway.url

    @property
    def port(self) -> int:
        return int(self.url.rsplit(":", 1)[1])

    @property
    def headers(self) -> dict[str, str]:
        return dict(AUTH)

    def client(self, timeout_s: float = 5.0) -> redis.Redis:
        return redis.Redis.from_url(self.redis.url, socket_timeout=timeout_s)

    # --- up and down -------------------------------------------------------------------

    def start(self, timeout_s: float = 40.0) -> Stack:
        self.redis.start()
        for name in SERVICES:
            for _ in range(self.config.evaluators if name == "evaluator" else 1):
                self.start_service(name)
        self.start_gateway()
        assert self.gateway is not None
        self.gateway.wait("/ready", timeout=timeout_s)
        self.wait_alive(timeout_s)
        return self

    def start_service(self, name: str) -> Proc:
        self.started += 1
        argv = [VECTIMUS, "service", name, "--redis-url", self.redis.url]
        if self.config.nice_trail and name != "evaluator":
            argv = ["nice", "-n", "10", *argv]
        env = base_env(self.home, **WORKER_ENV)
        log = self.root / f"{name}-{self.started}.log"
        proc = Proc(argv, env, log).start()
        self.services.setdefault(name, []).append(proc)
        return proc

    def start_gateway(self) -> None:
        port = free_port()
        argv = [VECTIMUS, "server", "start", "--port", str(port), "--redis-url", self.redis.url]
        argv += ["--workers", str(self.config.gateway_workers)]
        env = base_env(
            self.home,
            VECTIMUS_LOG_LEVEL="warning",
            VECTIMUS_EVAL_DEADLINE_MS=str(self.config.eval_deadline_ms),
        )
        self.gateway = Gateway(
            f"http://127.0.0.1:{port}", Proc(argv, env, self.root / "gateway.log").start()
        )
        self.gateway.wait("/healthz", timeout=30)

    def wait_alive(self, timeout_s: float = 30.0) -> None:
        """Until every service has as many live heartbeats as it has running processes."""
        deadline = time.monotonic() + timeout_s
        while True:
            want = {name: len(self.running(name)) for name in SERVICES}
            have = self.alive()
            if all(have.get(name, 0) >= count for name, count in want.items()):
                return
            if time.monotonic() > deadline:
                raise AssertionError(f"heartbeats {have}, want {want}:\n{self.logs()}")
            time.sleep(0.1)

    def alive(self) -> dict[str, int]:
        client = self.client()
        try:
            keys = [k.decode() for k in client.scan_iter(match=f"{HEARTBEAT_PREFIX}*")]
        except redis.RedisError:
            return {}
        finally:
            client.close()
        found: dict[str, int] = {}
        for key in keys:
            service = key.removeprefix(HEARTBEAT_PREFIX).split(":", 1)[0]
            found[service] = found.get(service, 0) + 1
        return found

    def running(self, name: str) -> list[Proc]:
        return [p for p in self.services.get(name, []) if p.process and p.process.poll() is None]

    def stop(self) -> None:
        if self.gateway is not None:
            self.gateway.proc.stop()
        for procs in self.services.values():
            for proc in procs:
                proc.stop()
        if self.redis.process is not None:
            with suppress(ProcessLookupError):
                os.kill(self.redis.process.pid, signal.SIGCONT)  # a stall must not outlive us
        self.redis.close()

    def logs(self, tail: int = 3000) -> str:
        parts = []
        for log in sorted(self.root.glob("*.log")):
            parts.append(f"===== {log.name}\n{log.read_text(errors='replace')[-tail:]}")
        return "\n".join(parts)

    # --- what a stack does, as processes -------------------------------------------------

    def pids(self) -> dict[str, int]:
        """Every live process of the stack by a stable name (gateway workers one by one)."""
        found: dict[str, int] = {}
        if self.gateway is not None and self.gateway.proc.process is not None:
            for n, pid in enumerate(sorted(children(self.gateway.proc.process.pid)), start=1):
                found[f"gateway-w{n}"] = pid
        for name in SERVICES:
            for n, proc in enumerate(self.running(name), start=1):
                assert proc.process is not None
                suffix = f"-{n}" if name == "evaluator" else ""
                found[f"{name}{suffix}"] = proc.process.pid  # nice exec's: the same pid
        if self.redis.process is not None:
            found["redis"] = self.redis.process.pid
        return found

    # --- faults --------------------------------------------------------------------------

    def kill_service(self, name: str) -> int:
        """SIGKILL the oldest running process of ``name``: no drain, no goodbye."""
        proc = self.running(name)[0]
        assert proc.process is not None
        pid = proc.process.pid
        proc.process.kill()
        proc.process.wait(timeout=10)
        return pid

    def kill_gateway_worker(self) -> int:
        """SIGKILL one granian worker; granian starts a new one in its place."""
        assert self.gateway is not None and self.gateway.proc.process is not None
        worker = min(children(self.gateway.proc.process.pid))
        os.kill(worker, signal.SIGKILL)
        return worker

    def gateway_workers(self) -> list[int]:
        assert self.gateway is not None and self.gateway.proc.process is not None
        return children(self.gateway.proc.process.pid)

    def stall_redis(self) -> None:
        assert self.redis.process is not None
        os.kill(self.redis.process.pid, signal.SIGSTOP)

    def resume_redis(self) -> None:
        assert self.redis.process is not None
        os.kill(self.redis.process.pid, signal.SIGCONT)

    def restart_redis(self) -> None:
        """Stop Redis (SIGTERM: it writes the append-only file out) and start it again."""
        self.redis.restart()

    # --- the pipeline's state ------------------------------------------------------------

    def backlog(self) -> dict[str, int]:
        """Entries still in the work streams (handled entries are deleted)."""
        client = self.client()
        try:
            return {s: int(client.xlen(s)) for s in WORK_STREAMS}
        finally:
            client.close()

    def event_ids(self) -> list[str]:
        client = self.client()
        try:
            entries = client.xrange(EVENTS_STREAM, "-", "+") or []
        finally:
            client.close()
        return [i.decode() if isinstance(i, bytes) else str(i) for i, _ in entries]
