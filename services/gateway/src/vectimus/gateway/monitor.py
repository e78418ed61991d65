"""What the gateway knows about the rest of the system: the bus, and who is alive.

A background task refreshes this every second, so the request path can tell at once that no
evaluator is alive (and evaluate in-process instead of waiting out the deadline). /health
and /ready do not trust the cache: they ping and read the heartbeats themselves.
"""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass, field
from typing import Any

import structlog

from vectimus.core.bus import Bus
from vectimus.core.bus.messages import HEARTBEAT_PREFIX

log = structlog.get_logger("vectimus.gateway.monitor")

SERVICES = ("evaluator", "receipt-signer", "audit-sink")
_PROBE_TIMEOUT_S = 1.0
# /health stays "degraded" this long after the last answer evaluated in the gateway.
DEGRADED_WINDOW_S = 30.0
# A cached "no evaluator is alive" is probed again when older than this.
_RECHECK_NO_S = 0.2


def service_of(key: str) -> str:
    """``vectimus:alive:<service>:<instance>`` -> ``<service>``."""
    return key.removeprefix(HEARTBEAT_PREFIX).split(":", 1)[0]


@dataclass
class Liveness:
    bus_ok: bool
    bus_error: str = ""
    instances: dict[str, list[str]] = field(default_factory=dict)
    # instance -> what its heartbeat says (policy hash, counters, ...), when it is JSON
    details: dict[str, dict[str, Any]] = field(default_factory=dict)

    def alive(self, service: str) -> int:
        return len(self.instances.get(service, ()))


async def probe(bus: Bus) -> Liveness:
    """Ping the bus and read every heartbeat now, within a short timeout."""
    try:
        async with asyncio.timeout(_PROBE_TIMEOUT_S):
            ok = await bus.ping()
            beats = await bus.values(HEARTBEAT_PREFIX)
    except Exception as exc:  # noqa: BLE001 - an unreachable bus is the answer, not an error
        return Liveness(bus_ok=False, bus_error=f"{type(exc).__name__}: {exc}".strip(": "))
    if not ok:
        return Liveness(bus_ok=False, bus_error="ping failed")
    instances: dict[str, list[str]] = {}
    details: dict[str, dict[str, Any]] = {}
    for key in sorted(beats):
        instance = key.removeprefix(HEARTBEAT_PREFIX)
        instances.setdefault(service_of(key), []).append(instance)
        try:
            info = json.loads(beats[key])
        except ValueError:
            continue
        if isinstance(info, dict):
            details[instance] = info
    return Liveness(bus_ok=True, instances=instances, details=details)


class Monitor:
    def __init__(self, bus: Bus, *, interval_s: float = 1.0) -> None:
        self.bus = bus
        self.interval_s = interval_s
        self.latest: Liveness | None = None
        self.probed_at = 0.0
        self.last_degraded_at = 0.0
        self._probing: asyncio.Task[Liveness] | None = None
        self._task: asyncio.Task[None] | None = None
        self._stop = asyncio.Event()

    @property
    def evaluator_alive(self) -> bool | None:
        """None until the first probe: unknown is treated as "maybe", never as "no"."""
        if self.latest is None:
            return None
        return self.latest.bus_ok and self.latest.alive("evaluator") > 0

    def mark_degraded(self) -> None:
        self.last_degraded_at = time.monotonic()

    @property
    def recently_degraded(self) -> bool:
        return bool(self.last_degraded_at) and (
            time.monotonic() - self.last_degraded_at < DEGRADED_WINDOW_S
        )

    async def evaluator_alive_now(self) -> bool | None:
        """Like :attr:`evaluator_alive`, but a "no" older than a moment is checked again.

        An evaluator that has just started must not be missed for a whole refresh interval;
        concurrent callers share one probe."""
        alive = self.evaluator_alive
        if alive is False and time.monotonic() - self.probed_at > _RECHECK_NO_S:
            if self._probing is None or self._probing.done():
                self._probing = asyncio.create_task(self.refresh())
            await asyncio.shield(self._probing)
            alive = self.evaluator_alive
        return alive

    async def refresh(self) -> Liveness:
        previous = self.latest
        self.latest = await probe(self.bus)
        self.probed_at = time.monotonic()
        if previous is not None and previous.bus_ok != self.latest.bus_ok:
            if self.latest.bus_ok:
                log.info("bus reachable again")
            else:
                log.error("bus unreachable", error=self.latest.bus_error)
        return self.latest

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="monitor")

    async def stop(self) -> None:
        self._stop.set()
        if self._task is not None:
            await self._task

    async def _run(self) -> None:
        while not self._stop.is_set():
            await self.refresh()
            try:
                await asyncio.wait_for(self._stop.wait(), self.interval_s)
            except TimeoutError:
                continue
