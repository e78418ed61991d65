"""The daemon's trail: receipts and audit records written by a background thread.

The hook's answer goes back as soon as it is decided; the decision is queued here and signed
and appended after. One Recorder per snapshot (its audit settings, receipt directory and
policy hash); when a project's snapshot changes, its old recorder is closed. Records are
synced by the audit log's own fsync policy; once the queue has been idle for a second they are
synced in full and, at most once a minute per recorder, retention runs (audit files by age,
receipts by ``retention_days``), so a burst of calls never waits behind an fsync. A failure
to record is logged with its receipt id and counted, never dropped silently;
:meth:`Trail.close` drains the queue before exit.
"""

from __future__ import annotations

import contextlib
import logging
import os
import queue
import threading
import time
from dataclasses import dataclass

from vectimus.cli.answer import Outcome, trail_event
from vectimus.core.record import Recorder
from vectimus.core.snapshot import Snapshot

RETENTION_EVERY_S = 60.0
log = logging.getLogger("vectimus.daemon.trail")


@dataclass
class _Job:
    source: str
    raw: bytes
    outcome: Outcome


@dataclass
class _Held:
    snapshot: Snapshot | None
    recorder: Recorder
    last_retention: float = 0.0


class Trail:
    def __init__(self) -> None:
        self._queue: queue.Queue[_Job | None] = queue.Queue()
        self._held: dict[int, _Held] = {}
        self.recorded = 0
        self.failed = 0
        self._dirty = False
        self._thread = threading.Thread(target=self._run, name="vectimus-trail", daemon=True)
        self._thread.start()

    def submit(self, source: str, raw: bytes, outcome: Outcome) -> None:
        self._queue.put(_Job(source, raw, outcome))

    def pending(self) -> int:
        return self._queue.qsize()

    def close(self, timeout: float = 30.0) -> None:
        self._queue.put(None)
        self._thread.join(timeout)

    def _run(self) -> None:
        # On Linux a thread has its own nice value: the trail yields the CPU to answers.
        with contextlib.suppress(AttributeError, OSError):
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 10)
        while True:
            try:
                job = self._queue.get(timeout=1.0)
            except queue.Empty:
                if self._dirty:
                    self._dirty = False
                    self._settle()
                continue
            if job is None:
                self._settle(final=True)
                return
            self._record(job)

    def _recorder(self, snapshot: Snapshot | None) -> Recorder:
        key = id(snapshot)
        held = self._held.get(key)
        if held is None:
            if snapshot is not None:
                for old_key, old in list(self._held.items()):
                    if old.snapshot and old.snapshot.project_root == snapshot.project_root:
                        self._close(old)
                        del self._held[old_key]
            held = _Held(snapshot, Recorder(snapshot))
            self._held[key] = held
        return held.recorder

    def _record(self, job: _Job) -> None:
        decision = job.outcome.decision
        try:
            recorder = self._recorder(job.outcome.snapshot)
            recorder.record(trail_event(job.source, job.raw, job.outcome), decision)
            self.recorded += 1
            self._dirty = True
        except Exception:
            self.failed += 1
            log.exception("could not record decision %s", decision.receipt_id)

    def _settle(self, *, final: bool = False) -> None:
        now = time.monotonic()
        for held in self._held.values():
            try:
                held.recorder.audit.sync()
                if final or now - held.last_retention >= RETENTION_EVERY_S:
                    held.last_retention = now
                    self._close(held)
            except Exception:
                log.exception("could not sync or prune the trail")

    @staticmethod
    def _close(held: _Held) -> None:
        """Flush the audit log and apply audit and receipt retention (the recorder reopens)."""
        held.recorder.close()
