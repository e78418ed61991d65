"""Receipts and audit records, written on a background thread off the tool-call path.

Signing a receipt and writing it and its audit record costs a millisecond or two, more than
the decision itself. The hook forks that work off after answering; an in-process integration
hands it to one writer thread instead, in the order the decisions were made, with the same
:class:`~vectimus.core.record.Recorder` the hook uses.

The writer waits until no decision has been handed over for ``quiet_s`` (but never holds a
record longer than ``max_delay_s``), so that it signs and writes while the agent waits on its
model rather than competing for the interpreter with the tool call that has just been
allowed. :meth:`Trail.flush` skips that wait and returns once everything handed over is
written; the trail is flushed and closed when the interpreter exits.
"""

from __future__ import annotations

import atexit
import logging
import queue
import threading
import time

from vectimus.core.events import Decision, Event
from vectimus.core.record import Recorder
from vectimus.core.snapshot import Snapshot

logger = logging.getLogger("vectimus.integrations")

_Item = tuple[float, Snapshot | None, Event, Decision]  # submitted at (monotonic), ...
_STOP = None


class Trail:
    """One writer thread per trail; ``recorded`` and ``failed`` count what it did."""

    def __init__(
        self, *, quiet_s: float = 0.01, max_delay_s: float = 1.0, close_timeout: float = 10.0
    ) -> None:
        self._queue: queue.SimpleQueue[_Item | None] = queue.SimpleQueue()
        self._state = threading.Condition()
        self._thread: threading.Thread | None = None
        self._submitted = 0
        self._done = 0
        self._closed = False
        self._recorder: Recorder | None = None
        self._close_timeout = close_timeout
        self._quiet_s = quiet_s
        self._max_delay_s = max_delay_s
        self._last_submit = 0.0
        self._hurry = 0  # flushes waiting: write at once
        self.recorded = 0
        self.failed = 0
        atexit.register(self.close)

    def submit(self, snapshot: Snapshot | None, event: Event, decision: Decision) -> None:
        """Queue one decision for its receipt and audit record; returns at once."""
        with self._state:
            if self._closed:
                raise RuntimeError("the Vectimus trail is closed")
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="vectimus-trail", daemon=True
                )
                self._thread.start()
            self._submitted += 1
            self._last_submit = now = time.monotonic()
        self._queue.put((now, snapshot, event, decision))

    def flush(self, timeout: float | None = None) -> bool:
        """Wait until everything submitted so far is written; False if ``timeout`` ran out."""
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._state:
            target = self._submitted
            self._hurry += 1
            self._state.notify_all()
            try:
                while self._done < target:
                    remaining = None if deadline is None else deadline - time.monotonic()
                    if remaining is not None and remaining <= 0:
                        return False
                    self._state.wait(remaining)
            finally:
                self._hurry -= 1
        return True

    def close(self) -> None:
        """Flush, stop the writer, and let the recorder sync the log and apply retention."""
        with self._state:
            if self._closed:
                return
            self._closed = True
            self._hurry += 1  # never released: a closing trail writes at once
            self._state.notify_all()
            thread = self._thread
        if thread is not None:
            self._queue.put(_STOP)
            thread.join(self._close_timeout)
            if thread.is_alive():
                logger.error("vectimus: the trail did not finish writing within the timeout")
                return
        if self._recorder is not None:
            self._close_recorder(self._recorder)
            self._recorder = None
        atexit.unregister(self.close)

    # --- the writer thread ------------------------------------------------------------------

    def _run(self) -> None:
        while True:
            item = self._queue.get()
            if item is _STOP:
                return
            submitted, snapshot, event, decision = item
            self._wait_for_quiet(submitted + self._max_delay_s)
            try:
                self._recorder_for(snapshot).record(event, decision)
                self.recorded += 1
            except Exception as exc:  # noqa: BLE001 - count and report; the answer stands
                self.failed += 1
                logger.error(
                    "vectimus: could not record decision %s: %s: %s",
                    decision.receipt_id,
                    type(exc).__name__,
                    exc,
                )
            finally:
                with self._state:
                    self._done += 1
                    self._state.notify_all()

    def _wait_for_quiet(self, limit: float) -> None:
        """Wait until the caller has been quiet for ``quiet_s``, or until ``limit``."""
        with self._state:
            while not self._hurry:
                now = time.monotonic()
                pause = min(self._last_submit + self._quiet_s, limit) - now
                if pause <= 0:
                    return
                self._state.wait(pause)

    def _recorder_for(self, snapshot: Snapshot | None) -> Recorder:
        current = self._recorder
        if current is None or current.snapshot is not snapshot:
            if current is not None:
                self._close_recorder(current)
            current = self._recorder = Recorder(snapshot)
        return current

    @staticmethod
    def _close_recorder(recorder: Recorder) -> None:
        try:
            recorder.close()
        except Exception as exc:  # noqa: BLE001 - closing must not take the process down
            logger.error("vectimus: could not close the trail: %s: %s", type(exc).__name__, exc)
