"""RFC 8785 JSON Canonicalization Scheme (JCS): the bytes every receipt hash and signature covers.

The serialisation is the ``rfc8785`` library (it reproduces the RFC's published vectors byte
for byte; see tests/unit/receipts/test_jcs.py), except for values where msgspec's sorted JSON
is provably the same bytes, which is almost every receipt and event: ASCII keys (code point
order is then UTF-16 order), safe integers, and floats that both write in plain decimal
digits. msgspec's string escaping is already JCS's. That fast path costs about a thirtieth of
the pure-Python serialiser, and a signer canonicalises three values per receipt.
Callers that know a value's types check only its numbers and keys (:func:`plain_number`)
and encode it with :func:`sorted_json`, skipping the walk over every member.

Values must be JSON-shaped builtins (``msgspec.to_builtins`` output): dicts with string keys,
lists or tuples, str, bool, None, finite floats, and integers. RFC 8785 numbers are IEEE 754
doubles: an integer beyond 2**53 - 1 that a double holds exactly (2**53, 10**20) is written as
that double (so a float such as 9007199254740992.0 still canonicalises after a JSON round trip
turned it into an int); one that a double cannot hold exactly is refused.
"""

from __future__ import annotations

import hashlib
from typing import Any

import msgspec
import rfc8785

from vectimus.core.errors import VectimusError

_SAFE_INT = 2**53 - 1
# Between these, a non-integral double has the same shortest digits, in plain decimal
# notation, from msgspec and from ECMAScript's Number::toString (checked by a property test).
_PLAIN_FLOAT_MIN = 1e-5
_PLAIN_FLOAT_MAX = 1e15
sorted_json = msgspec.json.Encoder(order="sorted").encode
"""msgspec's JSON with object members (and Struct fields) sorted: RFC 8785's bytes for a
value whose numbers are all :func:`plain_number` and whose keys are all ASCII. Raises
UnicodeEncodeError on a lone surrogate."""


class CanonicalisationError(VectimusError):
    """A value has no RFC 8785 form: NaN or infinity, an integer beyond 2**53 - 1, a lone
    surrogate in a string, a non-string object key, or a type JSON does not have."""

    code = "not-canonicalisable"


def _as_doubles(value: Any) -> Any:
    """``value`` with every integer outside the safe range replaced by the double that holds it
    exactly; an integer no double holds is left alone (and then refused)."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        if abs(value) > _SAFE_INT:
            try:
                as_float = float(value)
            except OverflowError:
                return value
            return as_float if as_float == value else value
        return value
    if isinstance(value, dict):
        return {k: _as_doubles(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_as_doubles(v) for v in value]
    return value


def plain_number(value: float) -> bool:
    """Whether msgspec writes the int or float ``value`` as RFC 8785 does: a safe integer, or
    a non-integral double that both write in plain decimal digits."""
    if type(value) is int:
        return -_SAFE_INT <= value <= _SAFE_INT
    return _PLAIN_FLOAT_MIN <= abs(value) < _PLAIN_FLOAT_MAX and value != int(value)


def _msgspec_is_canonical(value: Any) -> bool:
    """Whether msgspec's sorted JSON of ``value`` is its RFC 8785 form (see the module doc)."""
    kind = type(value)
    if kind is str or kind is bool or value is None:
        return True
    if kind is int or kind is float:
        return plain_number(value)
    if kind is dict:
        return all(
            type(k) is str and k.isascii() and _msgspec_is_canonical(v) for k, v in value.items()
        )
    if kind is list or kind is tuple:
        return all(_msgspec_is_canonical(v) for v in value)
    return False


def canonicalize(value: Any) -> bytes:
    """The RFC 8785 canonical UTF-8 bytes of ``value``."""
    try:
        if _msgspec_is_canonical(value):
            return sorted_json(value)
    except (UnicodeEncodeError, RecursionError):
        pass  # a lone surrogate, or too deep: the full serialiser names the problem
    try:
        try:
            return rfc8785.dumps(value)
        except rfc8785.IntegerDomainError:
            return rfc8785.dumps(_as_doubles(value))
    except rfc8785.CanonicalizationError as exc:
        raise CanonicalisationError(f"cannot canonicalise value for signing: {exc}") from None
    except RecursionError:
        raise CanonicalisationError("cannot canonicalise value: nested too deeply") from None


def sha256_hex(data: bytes) -> str:
    """Lower-case hex SHA-256 of ``data``."""
    return hashlib.sha256(data).hexdigest()
