"""Keeping a server process (a gateway worker, an evaluator) on the current policy set.

Three tasks per process, all off the request path:

- **watch**: every ``interval_s``, or at once when woken, ``reload()``: the policy files are
  checked and, when changed, loaded, validated and swapped in by the caller (one reference
  replaced; a request reads it once). A new set in force is announced on ``vectimus:policy``.
- **poll** (with ``[policies] bundle_url``): every ``bundle_poll_s`` the URL is asked with
  ``If-None-Match``; a new bundle is verified, checked against the configuration, installed
  atomically, and the watch woken. A refused bundle or an unreachable URL leaves the set in
  force alone and is reported (:attr:`Follower.error`).
- **listen**: the notices of the other processes. One naming a set other than ours wakes the
  poll and the watch, so every evaluator moves to a new version within moments of the
  first process that saw it, and acknowledges with its own notice (and its heartbeat).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import time
from collections.abc import Awaitable, Callable, Mapping

import msgspec

from vectimus.core.assemble import check_base
from vectimus.core.bundles.fetch import fetch_if_changed, origin_of
from vectimus.core.bundles.format import BundleError
from vectimus.core.bundles.install import install
from vectimus.core.bundles.trust import trusted_keys
from vectimus.core.bundles.verify import verify_bundle
from vectimus.core.bus import Bus
from vectimus.core.bus.messages import POLICY_STREAM, PolicyNotice, decode, encode, maxlen_for
from vectimus.core.config import load_config
from vectimus.core.errors import VectimusError
from vectimus.core.logs import get_logger, safe_error
from vectimus.core.runtime import Runtime

log = get_logger("vectimus.policy")

_LISTEN_BLOCK_MS = 500
_LISTEN_RETRY_S = 1.0
# A refused bundle is not fetched again while it stays the same, except this often: the
# configuration it failed against (rules.disabled, extra_dirs) may have been fixed since.
RETRY_REFUSED_S = 60.0


async def _tick(stop: asyncio.Event, wake: asyncio.Event, timeout_s: float) -> None:
    """Wait until ``stop`` or ``wake`` is set, or ``timeout_s`` passes; clear ``wake``."""
    waiters = [asyncio.create_task(stop.wait()), asyncio.create_task(wake.wait())]
    try:
        await asyncio.wait(waiters, timeout=timeout_s, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for waiter in waiters:
            waiter.cancel()
        await asyncio.gather(*waiters, return_exceptions=True)
    wake.clear()


class BundlePoller:
    """``[policies] bundle_url`` fetched with ETags, verified and installed."""

    def __init__(
        self,
        url: str,
        environ: Mapping[str, str],
        trusted: tuple[str, ...],
        *,
        retry_refused_s: float = RETRY_REFUSED_S,
    ) -> None:
        self.url = url
        self.origin = origin_of(url)
        self.environ = dict(environ)
        self.trusted = trusted
        self.etag = ""
        self.unreachable = ""
        self.refused = ""
        self.retry_refused_s = retry_refused_s
        self._digest = ""
        self._refused_at = 0.0

    @property
    def error(self) -> str:
        return self.unreachable or self.refused

    async def poll(self) -> bool:
        """One conditional fetch; True when a new bundle was put in force."""
        if self.refused and time.monotonic() - self._refused_at >= self.retry_refused_s:
            self.etag = self._digest = ""  # try the refused bundle once more
        try:
            found = await asyncio.to_thread(fetch_if_changed, self.url, self.etag)
        except BundleError as exc:
            if not self.unreachable:
                log.error("policy bundle fetch failed", url=self.origin, error=str(exc))
            self.unreachable = str(exc)
            return False
        self.unreachable = ""
        if found.data is None:
            return False
        digest = hashlib.sha256(found.data).hexdigest()
        self.etag = found.etag
        if digest == self._digest:  # a server without ETags sent the same bundle again
            return False
        self._digest = digest
        try:
            changed = await asyncio.to_thread(self._install, found.data)
        except (VectimusError, OSError) as exc:  # OSError: it could not be written
            self.refused = f"bundle from {self.origin} refused: {exc}"
            self._refused_at = time.monotonic()
            log.error("policy bundle refused: the set in force stays", error=self.refused)
            return False
        self.refused = ""
        return changed

    def _install(self, data: bytes) -> bool:
        verified = verify_bundle(data, trusted_keys(self.trusted))
        done = install(verified, self.origin, check=lambda d: check_base(d, self.environ))
        if done.changed:
            log.info(
                "policy bundle installed",
                policy_set_hash=done.record.policy_set_hash,
                bundle_id=done.record.bundle_id,
                signer=done.record.signer,
                origin=self.origin,
            )
        return done.changed


def configured_poller(environ: Mapping[str, str]) -> tuple[BundlePoller | None, float]:
    """The poller for ``[policies] bundle_url`` (None when unset) and its interval. A config
    that does not load is the policy load's to report; then there is nothing to poll."""
    try:
        policies = load_config(None, environ).settings.policies
    except VectimusError:
        return None, 0.0
    if not policies.bundle_url:
        return None, 0.0
    poller = BundlePoller(policies.bundle_url, environ, policies.trusted_keys)
    return poller, policies.bundle_poll_s


async def install_first(environ: Mapping[str, str]) -> None:
    """Before a server's first load: fetch the bundle once, so a fresh host starts on it."""
    poller, _ = configured_poller(environ)
    if poller is not None:
        await poller.poll()


class Follower:
    """The watch, poll and listen tasks of one process (see the module docstring)."""

    def __init__(
        self,
        *,
        bus: Bus,
        service: str,
        instance: str,
        kind: str,
        environ: Mapping[str, str],
        poll: bool = True,
    ) -> None:
        self.bus = bus
        self.service = service
        self.instance = instance
        self.kind = kind
        self.environ = dict(environ)
        self.poller: BundlePoller | None = None
        self.poll_s = 0.0
        self._poll_wanted = poll
        self._configured = False
        self._wake = asyncio.Event()
        self._poll_wake = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        self._current: Callable[[], Runtime | None] = lambda: None

    @property
    def error(self) -> str:
        """Why the last bundle was not installed, or the URL not reached ("" when fine)."""
        return self.poller.error if self.poller is not None else ""

    def _configure(self) -> None:
        """Read ``[policies]`` once (a change of bundle_url takes a restart)."""
        if self._configured:
            return
        self._configured = True
        if self._poll_wanted:
            self.poller, self.poll_s = configured_poller(self.environ)

    async def prime(self) -> None:
        """Before the first load: fetch the bundle once, so a fresh server starts on it (the
        poller keeps its ETag, so the first poll after this downloads nothing)."""
        self._configure()
        if self.poller is not None:
            await self.poller.poll()

    def start(
        self,
        stop: asyncio.Event,
        *,
        interval_s: float,
        reload: Callable[[], Awaitable[bool]],
        current: Callable[[], Runtime | None],
    ) -> None:
        self._configure()
        self._current = current
        self._tasks = [
            asyncio.create_task(self._watch(stop, interval_s, reload), name="policy-watch"),
            asyncio.create_task(self._listen(stop), name="policy-listen"),
        ]
        if self.poller is not None:
            self._tasks.append(asyncio.create_task(self._poll(stop), name="policy-poll"))

    async def join(self) -> None:
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task

    def wake(self) -> None:
        self._poll_wake.set()
        self._wake.set()

    async def announce(self) -> None:
        """Say which set is in force here; advisory, so a bus failure is only logged."""
        runtime = self._current()
        if runtime is None:
            return
        source = runtime.snapshot.policy_source
        notice = PolicyNotice(
            kind=self.kind,
            policy_set_hash=runtime.snapshot.compiled.policy_set_hash,
            source=source.origin or source.location,
            signer=source.signer,
            service=self.service,
            instance=self.instance,
            at_ms=time.time_ns() // 1_000_000,
        )
        try:
            await self.bus.publish(POLICY_STREAM, encode(notice), maxlen=maxlen_for(POLICY_STREAM))
        except Exception as exc:  # noqa: BLE001 - the heartbeat still carries the hash
            log.warning("could not announce the policy set", error=safe_error(exc))

    async def _watch(
        self, stop: asyncio.Event, interval_s: float, reload: Callable[[], Awaitable[bool]]
    ) -> None:
        await self.announce()
        while not stop.is_set():
            await _tick(stop, self._wake, interval_s)
            if stop.is_set():
                return
            if await reload():
                await self.announce()

    async def _poll(self, stop: asyncio.Event) -> None:
        poller = self.poller
        while poller is not None and not stop.is_set():
            await _tick(stop, self._poll_wake, self.poll_s)
            if not stop.is_set() and await poller.poll():
                self._wake.set()

    async def _listen(self, stop: asyncio.Event) -> None:
        last = "0"  # the stream is short (MAXLEN 1000): a notice sent while we started counts
        while not stop.is_set():
            try:
                found = await self.bus.read(
                    {POLICY_STREAM: last}, count=100, block_ms=_LISTEN_BLOCK_MS
                )
            except Exception as exc:  # noqa: BLE001 - retried; the timers still reload
                log.warning("cannot read policy notices", error=safe_error(exc))
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), _LISTEN_RETRY_S)
                continue
            for delivery in found.get(POLICY_STREAM, []):
                last = delivery.id
                try:
                    notice = decode(delivery.payload, PolicyNotice)
                except (msgspec.DecodeError, msgspec.ValidationError):
                    continue
                runtime = self._current()
                ours = runtime.snapshot.compiled.policy_set_hash if runtime else ""
                if notice.instance != self.instance and notice.policy_set_hash != ours:
                    self.wake()
