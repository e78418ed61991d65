"""Garbage-collector settings for the long-running servers (gateway, services, daemon).

After start-up a server holds a large, permanent heap (the compiled policies, the Cedar
schema, litestar's routing tables). CPython's full collections walk all of it every few
thousand allocations, and at a thousand requests a second those walks are the slowest
moments of the tail. ``settle`` moves what start-up built out of the collector's sight
(``gc.freeze``) and makes young collections rarer: request garbage is almost all freed by
reference counting, so cycles are few.
"""

from __future__ import annotations

import gc

_YOUNG_THRESHOLD = 20_000


def settle() -> None:
    """Call once the server has loaded what it keeps for its lifetime."""
    gc.collect()
    gc.freeze()
    _, older, oldest = gc.get_threshold()
    gc.set_threshold(_YOUNG_THRESHOLD, older, oldest)
