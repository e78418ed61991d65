"""RFC 8785 JSON Canonicalization Scheme (JCS): the bytes every receipt hash and signature covers.

The serialisation itself is the ``rfc8785`` library (it reproduces the RFC's published vectors
byte for byte; see tests/unit/receipts/test_jcs.py). This module only narrows its errors to
ours and adds the hashing helpers the receipts use.

Values must be JSON-shaped builtins (``msgspec.to_builtins`` output): dicts with string keys,
lists or tuples, str, bool, None, finite floats, and integers. RFC 8785 numbers are IEEE 754
doubles: an integer beyond 2**53 - 1 that a double holds exactly (2**53, 10**20) is written as
that double (so a float such as 9007199254740992.0 still canonicalises after a JSON round trip
turned it into an int); one that a double cannot hold exactly is refused.
"""

from __future__ import annotations

import hashlib
from typing import Any

import rfc8785

from vectimus.core.errors import VectimusError

_SAFE_INT = 2**53 - 1


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


def canonicalize(value: Any) -> bytes:
    """The RFC 8785 canonical UTF-8 bytes of ``value``."""
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


def canonical_sha256(value: Any) -> str:
    """SHA-256 hex of the canonical bytes of ``value``."""
    return sha256_hex(canonicalize(value))
