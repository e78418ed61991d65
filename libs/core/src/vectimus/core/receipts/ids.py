"""Receipt ids: UUID version 7 strings, so ids sort by creation time.

Layout (RFC 9562): 48 bits of Unix time in milliseconds, the version nibble 7, 12 bits used
as a per-process counter within one millisecond, the variant bits, then 62 random bits. The
canonical lower-case hex form sorts as text in the same order as the numbers, so a directory
listing or ``sorted()`` of ids is creation order within one process. Ids minted by separate
processes in the same millisecond have no defined order between them; the receipt timestamp,
which the signer sets under the chain lock, is what orders a chain.
"""

from __future__ import annotations

import re
import secrets
import threading
import time
import uuid

RECEIPT_ID_PATTERN = re.compile(
    r"[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}"
)
"""What :func:`new_receipt_id` makes. Verification accepts any :data:`SAFE_ID_PATTERN` id."""

SAFE_ID_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}")
"""Ids that are safe as a file name: receipts are stored as ``<receipt_id>.json``."""

_COUNTER_MAX = 0xFFF
_lock = threading.Lock()
_last_ms = 0
_counter = 0


def new_receipt_id() -> str:
    """A new time-ordered id such as ``0193f1c2-7a3b-7c01-9d2e-5f60718293a4``.

    Monotonic within the process: a second id in the same millisecond bumps the counter, and
    a clock that steps backwards reuses the last millisecond instead of going back.
    """
    global _last_ms, _counter  # noqa: PLW0603 - one process-wide sequence is the point
    with _lock:
        now_ms = time.time_ns() // 1_000_000
        if now_ms > _last_ms:
            _last_ms = now_ms
            _counter = secrets.randbits(11)  # start low so a burst has room to count up
        else:
            _counter += 1
            if _counter > _COUNTER_MAX:
                _last_ms += 1
                _counter = 0
        ms, counter = _last_ms, _counter
    value = (ms & ((1 << 48) - 1)) << 80
    value |= 0x7 << 76
    value |= counter << 64
    value |= 0b10 << 62
    value |= secrets.randbits(62)
    return str(uuid.UUID(int=value))


def receipt_id_time_ms(receipt_id: str) -> int | None:
    """The creation time (Unix ms) inside an id from :func:`new_receipt_id`, else None."""
    if RECEIPT_ID_PATTERN.fullmatch(receipt_id) is None:
        return None
    return int(receipt_id[:8] + receipt_id[9:13], 16)


def is_safe_receipt_id(receipt_id: str) -> bool:
    """True when ``receipt_id`` can name a receipt file without leaving its directory."""
    return SAFE_ID_PATTERN.fullmatch(receipt_id) is not None
