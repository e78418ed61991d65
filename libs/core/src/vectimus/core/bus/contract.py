"""The transport contract every Vectimus service is written against.

It is the subset of Redis Streams semantics the services need: append to a stream, read a
stream from an id (replies, SSE), and consumer groups with pending entries, acknowledgement
and reclaiming of entries a dead consumer left behind. The in-process transport implements
the same semantics, so the embedded server runs the services' code unchanged.

Ids are Redis stream ids (``"<ms>-<seq>"``), ordered, and unique per stream. Payloads are
opaque bytes (msgspec-encoded messages from :mod:`vectimus.core.bus.messages`).

Failures a caller handles are :class:`BusError`s: :class:`BusUnavailable` (the transport
cannot be reached: retry with backoff) and :class:`NoGroupError` (the group vanished, for
example with a Redis restarted without persistence: create it again and go on).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Protocol

import msgspec


class BusError(Exception):
    """A bus operation failed in a way the caller is expected to handle."""


class BusUnavailable(BusError):  # noqa: N818 - a state, like ConnectionRefused
    """The transport cannot be reached (connection refused or lost, timeout, loading)."""


class NoGroupError(BusError):
    """The consumer group (or its stream) does not exist."""


class Delivery(msgspec.Struct, frozen=True):
    """One stream entry as read: its id, its payload, and how often it was delivered."""

    id: str
    payload: bytes
    deliveries: int = 1


class Bus(Protocol):
    async def publish(self, stream: str, payload: bytes, *, maxlen: int | None = None) -> str:
        """Append ``payload`` to ``stream`` (trimming to about ``maxlen``); return its id."""
        ...

    async def publish_many(
        self, stream: str, payloads: Sequence[bytes], *, maxlen: int | None = None
    ) -> list[str]:
        """Append several payloads in one round trip; ids in the same order."""
        ...

    async def publish_batch(self, items: Sequence[tuple[str, bytes, int | None]]) -> list[str]:
        """Append ``(stream, payload, maxlen)`` items to several streams in one round trip."""
        ...

    async def read(
        self, streams: dict[str, str], *, count: int = 100, block_ms: int | None = None
    ) -> dict[str, list[Delivery]]:
        """Entries after the given id of each stream (``"$"``: only new ones; ``"0"``: all).

        Blocks up to ``block_ms`` when nothing is there (None: do not block; 0: as long as
        the transport allows, so a caller loops: Redis caps a read below its socket timeout)."""
        ...

    async def ensure_group(self, stream: str, group: str, *, start: str = "0") -> None:
        """Create the consumer group (and the stream) if missing; an existing group is kept."""
        ...

    async def read_group(
        self,
        stream: str,
        group: str,
        consumer: str,
        *,
        count: int = 100,
        block_ms: int | None = None,
    ) -> list[Delivery]:
        """New entries for ``consumer`` in ``group``; they stay pending until acknowledged."""
        ...

    async def ack(
        self, stream: str, group: str, ids: Sequence[str], *, delete: bool = False
    ) -> int:
        """Acknowledge entries; return how many were pending.

        ``delete`` also removes the entries from the stream (XACK then XDEL, one round trip):
        for a stream with one consumer group, so that it holds only unfinished work and its
        MAXLEN is a bound for an outage, not the steady-state size."""
        ...

    async def claim_stale(
        self, stream: str, group: str, consumer: str, *, min_idle_ms: int, count: int = 100
    ) -> list[Delivery]:
        """Take over entries pending longer than ``min_idle_ms`` (a crashed consumer's)."""
        ...

    async def pending_count(self, stream: str, group: str) -> int: ...

    async def length(self, stream: str) -> int: ...

    async def set_value(self, key: str, value: bytes, *, ttl_s: float) -> None:
        """A small expiring value (service heartbeats)."""
        ...

    async def set_values(self, values: Mapping[str, bytes], *, ttl_s: float) -> None:
        """Several expiring values in one round trip."""
        ...

    async def get_values(self, keys: Sequence[str]) -> list[bytes | None]:
        """The live values of ``keys``, in order (None where missing or expired)."""
        ...

    async def delete_value(self, key: str) -> None: ...

    async def expire_stream(self, stream: str, *, ttl_s: float) -> bool:
        """Let ``stream`` vanish ``ttl_s`` from now unless this is called again (a reply stream
        whose gateway worker died); False when it does not exist (yet). The in-process bus's
        streams end with the process."""
        ...

    async def values(self, prefix: str) -> dict[str, bytes]:
        """Every live value whose key starts with ``prefix``."""
        ...

    async def ping(self) -> bool: ...

    async def close(self) -> None: ...
