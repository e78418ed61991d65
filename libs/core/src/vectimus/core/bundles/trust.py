"""``[policies] trusted_keys``: the Ed25519 public keys whose bundles are installed.

A key is written inline, ``ed25519:`` and the 64 hex digits of its raw 32 bytes, so trust
lives in the user-level config file itself and not in a key file something else could
replace. Its key id is the one receipts use (:func:`vectimus.core.receipts.keys.key_id_for`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from vectimus.core.receipts.keys import key_id_for

PUBLIC_KEY_PATTERN = re.compile(r"ed25519:[0-9a-f]{64}")
PUBLIC_KEY_FORMAT = "ed25519:<64 hex digits> (as `vectimus policy keygen` prints it)"

TrustedKeys = Mapping[str, Ed25519PublicKey]
"""Key id -> public key."""


def public_key_text(public_key: Ed25519PublicKey) -> str:
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return f"ed25519:{raw.hex()}"


def parse_public_key(text: str) -> Ed25519PublicKey:
    """The key written as ``ed25519:<hex>``; ValueError naming the expected form otherwise."""
    if PUBLIC_KEY_PATTERN.fullmatch(text) is None:
        raise ValueError(f"{text[:80]!r} is not a public key: expected {PUBLIC_KEY_FORMAT}")
    return Ed25519PublicKey.from_public_bytes(bytes.fromhex(text.removeprefix("ed25519:")))


def trusted_keys(entries: Iterable[str]) -> dict[str, Ed25519PublicKey]:
    """The configured keys by key id (entries were validated with the config)."""
    keys = (parse_public_key(entry) for entry in entries)
    return {key_id_for(key): key for key in keys}
