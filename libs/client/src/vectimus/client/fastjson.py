"""JSON for the hook shim without importing ``json``.

``import json`` costs about 12 ms in a fresh process, almost all of it ``re`` (which
``json.decoder`` needs for its pure-Python fallback). The C accelerator ``_json`` that
``json`` itself uses is built in and loads in about 0.2 ms, so the shim drives it directly.
:func:`dumps` gives exactly what ``json.dumps(obj)`` gives with default arguments, so an
answer rendered here is byte-for-byte the one the inline hook prints.
"""

from __future__ import annotations

import _json

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

_CONSTANTS = {"-Infinity": float("-inf"), "Infinity": float("inf"), "NaN": float("nan")}
_WHITESPACE = " \t\n\r"


class _Context:
    """The attributes ``_json.make_scanner`` reads from a ``json.JSONDecoder``."""

    strict = True
    object_hook = None
    object_pairs_hook = None
    parse_float = float
    parse_int = int
    parse_constant = _CONSTANTS.__getitem__
    memo: dict[str, str] = {}  # noqa: RUF012 - read once by the scanner, never mutated here


def _not_serialisable(value: object) -> object:
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


_scan = _json.make_scanner(_Context())  # type: ignore[arg-type]
_encode = _json.make_encoder(
    {}, _not_serialisable, _json.encode_basestring_ascii, None, ": ", ", ", False, False, True
)


def loads(text: str | bytes) -> Any:
    """Parse one JSON document; raises ValueError when it is not exactly one."""
    if isinstance(text, bytes):
        text = text.decode("utf-8")
    start = len(text) - len(text.lstrip(_WHITESPACE))
    try:
        value, end = _scan(text, start)
    except StopIteration:
        raise ValueError("no JSON value") from None
    if text[end:].strip(_WHITESPACE):
        raise ValueError("extra data after the JSON value")
    return value


def dumps(value: object) -> str:
    """``json.dumps(value)`` with default arguments."""
    if isinstance(value, str):
        return _json.encode_basestring_ascii(value)
    return "".join(_encode(value, 0))
