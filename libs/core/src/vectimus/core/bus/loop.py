"""The event loop the services run on: uvloop where it is installed, else asyncio's own.

The service packages depend on it, as the gateway does through granian: with it an evaluator
spent a sixth less CPU per request in bench_server.py (two runs each way, 2026-12-07).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

T = TypeVar("T")


def loop_factory() -> Callable[[], asyncio.AbstractEventLoop] | None:
    try:
        import uvloop  # noqa: PLC0415 - only the long-running services pay its import
    except ImportError:
        return None
    return uvloop.new_event_loop


def run(main: Coroutine[Any, Any, T]) -> T:
    """``asyncio.run(main)`` on the fastest loop at hand."""
    with asyncio.Runner(loop_factory=loop_factory()) as runner:
        return runner.run(main)
