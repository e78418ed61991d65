"""Receipt ids: UUID version 7 strings, so ids sort by creation time.

Layout (RFC 9562): 48 bits of Unix time in milliseconds, the version nibble 7, 12 bits used
as a per-process counter within one millisecond, the variant bits, then 62 random bits. The
canonical lower-case hex form sorts as text in the same order as the numbers, so a directory
listing or ``sorted()`` of ids is creation order within one process. Ids minted by separate
processes in the same millisecond have no defined order between them; the receipt timestamp,
which the signer sets under the chain lock, is what orders a chain.
"""

from __future__ import annotations

import os
import re
import threading
import time

RECEIPT_ID_PATTERN = re.compile(
    r"[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}"
)
"""What :func:`new_receipt_id` makes. Verification accepts any :data:`SAFE_ID_PATTERN` id."""

SAFE_ID_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}")
"""Ids that are safe as a file name: receipts are stored as ``<receipt_id>.json``."""

_COUNTER_MAX = 0xFFF
_RANDOM_BLOCK = 4096
_lock = threading.Lock()
_last_ms = 0
_counter = 0
_random = b""
_random_at = 0


def _forget_random() -> None:
    """A forked child must not hand out its parent's random bits again."""
    global _random, _random_at
    _random, _random_at = b"", 0


os.register_at_fork(after_in_child=_forget_random)


def _random62() -> int:
    """62 random bits from the OS's CSPRNG, read in blocks (a read per id was a third of
    the cost of an id). Caller holds ``_lock``."""
    global _random, _random_at  # noqa: PLW0603 - the process-wide buffer
    if _random_at + 8 > len(_random):
        _random, _random_at = os.urandom(_RANDOM_BLOCK), 0
    bits = int.from_bytes(_random[_random_at : _random_at + 8], "big") >> 2
    _random_at += 8
    return bits


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
            _counter = _random62() >> 51  # 11 bits: start low, so a burst has room to count up
        else:
            _counter += 1
            if _counter > _COUNTER_MAX:
                _last_ms += 1
                _counter = 0
        ms, counter, random = _last_ms, _counter, _random62()
    value = (ms & ((1 << 48) - 1)) << 80
    value |= 0x7 << 76
    value |= counter << 64
    value |= 0b10 << 62
    value |= random
    text = f"{value:032x}"
    return f"{text[:8]}-{text[8:12]}-{text[12:16]}-{text[16:20]}-{text[20:]}"


def receipt_id_time_ms(receipt_id: str) -> int | None:
    """The creation time (Unix ms) inside an id from :func:`new_receipt_id`, else None."""
    if RECEIPT_ID_PATTERN.fullmatch(receipt_id) is None:
        return None
    return int(receipt_id[:8] + receipt_id[9:13], 16)


def is_safe_receipt_id(receipt_id: str) -> bool:
    """True when ``receipt_id`` can name a receipt file without leaving its directory."""
    return SAFE_ID_PATTERN.fullmatch(receipt_id) is not None
