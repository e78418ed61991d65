"""Typed reads over untrusted JSON.

Hook payloads come from other programs and, through them, from a model: any field may be
missing, null, a number where text was expected, a list, or nested ten thousand levels deep.
Every read here checks the type it gets and never recurses, so a normaliser built on them
cannot raise on a strange value.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any, Final

import msgspec

from vectimus.core.errors import PayloadError
from vectimus.core.jsondecode import DECODE_ERRORS

JsonObject = dict[str, Any]

# Upper bound on the values visited when flattening arguments: a payload of this many nodes is
# already far beyond anything an agent sends, and the bound keeps a hostile one from costing
# more than a few milliseconds.
MAX_FLATTEN_NODES: Final = 100_000


def require_object(source: str, payload: object) -> JsonObject:
    """The payload as a dict, or PayloadError naming what was sent instead."""
    if isinstance(payload, dict):
        return payload
    kind = "null" if payload is None else type(payload).__name__
    raise PayloadError(
        f"{source} payload is not a JSON object (got {kind})",
        hint="the hook must send one JSON object on stdin",
    )


def text(value: object) -> str | None:
    """A string as is, a number as its decimal text; anything else (bool, null, list) is None."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        try:
            return str(value)
        except ValueError:  # more digits than Python will print (sys.set_int_max_str_digits)
            return None
    if isinstance(value, float):
        return repr(value)
    return None


def get_text(obj: JsonObject, *keys: str) -> str | None:
    """The first of ``keys`` holding non-empty text."""
    for key in keys:
        found = text(obj.get(key))
        if found:
            return found
    return None


def get_int(obj: JsonObject, *keys: str) -> int | None:
    """The first of ``keys`` holding an integer, or a whole float, or digits as text."""
    for key in keys:
        value = obj.get(key)
        if isinstance(value, bool):
            continue
        if isinstance(value, int):
            return value
        if isinstance(value, float) and math.isfinite(value) and value.is_integer():
            return int(value)
        if isinstance(value, str) and 0 < len(value) <= 18:
            try:
                return int(value.strip())
            except ValueError:
                continue
    return None


def get_bool(obj: JsonObject, *keys: str) -> bool | None:
    """The first of ``keys`` holding a JSON boolean."""
    for key in keys:
        value = obj.get(key)
        if isinstance(value, bool):
            return value
    return None


def get_object(obj: JsonObject, *keys: str) -> JsonObject | None:
    """The first of ``keys`` holding an object."""
    for key in keys:
        value = obj.get(key)
        if isinstance(value, dict):
            return value
    return None


def get_list(obj: JsonObject, *keys: str) -> list[Any] | None:
    """The first of ``keys`` holding a list."""
    for key in keys:
        value = obj.get(key)
        if isinstance(value, list):
            return value
    return None


def texts(values: Iterable[object]) -> list[str]:
    """The text items of a list, in order; other items are skipped."""
    found = []
    for value in values:
        item = text(value)
        if item is not None:
            found.append(item)
    return found


def flatten_strings(value: object, *, max_nodes: int = MAX_FLATTEN_NODES) -> tuple[list[str], bool]:
    """Every string inside ``value`` in document order, and whether the walk was cut short.

    Object keys are not included, only values. The walk uses an explicit stack, so depth costs
    memory proportional to the input and never the interpreter's recursion limit.
    """
    found: list[str] = []
    stack: list[object] = [value]
    visited = 0
    while stack:
        if visited >= max_nodes:
            return found, True
        visited += 1
        current = stack.pop()
        if isinstance(current, str):
            found.append(current)
        elif isinstance(current, dict):
            stack.extend(reversed(list(current.values())))
        elif isinstance(current, list | tuple):
            stack.extend(reversed(current))
    return found, False


class _Undecodable:
    """Marks JSON text that did not decode (distinct from a decoded null)."""


UNDECODABLE: Final = _Undecodable()


def decode_json(raw: str) -> object:
    """Decode JSON text, or return UNDECODABLE; never raises."""
    try:
        return msgspec.json.decode(raw)
    except DECODE_ERRORS:
        return UNDECODABLE


def object_or_json(value: object) -> JsonObject | None:
    """An object as is, or JSON text that decodes to an object (some tools send arguments so)."""
    if isinstance(value, dict):
        return value
    if isinstance(value, str):
        decoded = decode_json(value)
        if isinstance(decoded, dict):
            return decoded
    return None
