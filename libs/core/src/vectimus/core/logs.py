"""Structured logging for the services: one JSON object per line, configured once.

Every line has the keys ``event``, ``level``, ``timestamp``, ``request_id``, ``receipt_id``
and ``component`` (empty when unknown), so a log pipeline can index them without guessing.
The ids travel with the work: bind them with :func:`bind_ids` (contextvars) while a message
is handled, or pass them as keywords. Nothing here logs a payload: callers pass ids, counts
and error types, :func:`safe_error` redacts an exception's text before it is logged, and a
logged traceback is redacted the same way.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterator, MutableMapping
from contextlib import contextmanager
from typing import Any, TextIO

import structlog

REQUIRED_KEYS = ("request_id", "receipt_id", "component")
_LEVELS = {"debug": logging.DEBUG, "info": logging.INFO, "warning": logging.WARNING}
_LEVELS |= {"error": logging.ERROR}
_threshold = logging.INFO


def _required_keys(
    _logger: Any, _method: str, event_dict: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    for key in REQUIRED_KEYS:
        event_dict.setdefault(key, "")
    return event_dict


def _redacted_exception(
    _logger: Any, _method: str, event_dict: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    """A formatted traceback quotes exception messages, which may quote input: mask secrets."""
    text = event_dict.get("exception")
    if isinstance(text, str):
        from vectimus.core.audit.redact import redact_text  # noqa: PLC0415 - only on errors

        event_dict["exception"] = redact_text(text)[0]
    return event_dict


def configure_logging(component: str, *, level: str = "info", stream: TextIO | None = None) -> None:
    """JSON lines on ``stream`` (stderr by default) for the process, tagged ``component``."""
    global _threshold  # noqa: PLW0603 - one logging configuration per process
    _threshold = _LEVELS.get(level, logging.INFO)
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            _required_keys,
            structlog.processors.format_exc_info,
            _redacted_exception,
            structlog.processors.JSONRenderer(sort_keys=False),
        ],
        wrapper_class=structlog.make_filtering_bound_logger(_threshold),
        logger_factory=structlog.PrintLoggerFactory(stream or sys.stderr),
        cache_logger_on_first_use=False,
    )
    structlog.contextvars.bind_contextvars(component=component)


def logs_at(level: str) -> bool:
    """Whether lines of ``level`` are written. For a hot path: merely looking up a method of
    a module's logger binds a new one (a few microseconds), even for a line then dropped."""
    return _LEVELS[level] >= _threshold


def get_logger(name: str) -> Any:
    return structlog.get_logger(name)


@contextmanager
def bind_ids(*, request_id: str = "", receipt_id: str = "") -> Iterator[None]:
    """Tag every line logged inside the block with the ids of the message being handled."""
    tokens = structlog.contextvars.bind_contextvars(request_id=request_id, receipt_id=receipt_id)
    try:
        yield
    finally:
        structlog.contextvars.reset_contextvars(**tokens)


def safe_error(exc: BaseException, *, limit: int = 300) -> str:
    """``Type: message`` with secrets masked and the length capped, fit for a log line."""
    from vectimus.core.audit.redact import redact_text  # noqa: PLC0415 - off the import path

    text = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    return redact_text(text[:limit])[0]
