"""The bundle file: one JSON document holding the policy files, the schema and a manifest.

```
{"format": "vectimus-policy-bundle",
 "manifest": {"version": 1, "built_at": "...Z", "policy_set_hash": "...",
              "packs": {"team": "1.0.0"},
              "files": {"vectimus.cedarschema": "<sha256>", "packs/team/pack.toml": "<sha256>",
                        "packs/team/deploy.cedar": "<sha256>"},
              "signer": "ed25519:<public key hex>"},
 "signature": "<base64 Ed25519 over the RFC 8785 bytes of the manifest>",
 "files": {"vectimus.cedarschema": "...", "packs/team/pack.toml": "...", ...}}
```

The signature covers the manifest, and the manifest pins every file by SHA-256, so one
signature covers every byte that is loaded. Unknown keys are errors, not ignored: a bundle
either means exactly what this version understands or is refused.
"""

from __future__ import annotations

import hashlib
import re
from typing import Final

import msgspec

from vectimus.core.errors import VectimusError
from vectimus.core.receipts.jcs import canonicalize

FORMAT: Final = "vectimus-policy-bundle"
MANIFEST_VERSION: Final = 1
SCHEMA_FILE: Final = "vectimus.cedarschema"
PACKS_DIR: Final = "packs"
MAX_BUNDLE_BYTES: Final = 32 * 1024 * 1024
# packs/<pack directory>/<name>.cedar or packs/<pack directory>/pack.toml: nothing else is
# loaded, so nothing else may be in a bundle (no "..", no hidden names, no nesting).
_NAME = r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}"
PACK_FILE = re.compile(rf"{PACKS_DIR}/({_NAME})/({_NAME}\.cedar|pack\.toml)")
NAME = re.compile(_NAME)


class BundleError(VectimusError):
    """A bundle was refused; the message says why. The policies in force stay in force."""

    code = "bundle-refused"


class Manifest(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    version: int = MANIFEST_VERSION
    built_at: str
    policy_set_hash: str
    packs: dict[str, str]
    """Pack name -> version."""
    files: dict[str, str]
    """Path in the bundle -> SHA-256 hex of its UTF-8 bytes."""
    signer: str = ""
    """The signer's public key, ``ed25519:<hex>``; empty when unsigned."""


class Bundle(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    format: str = FORMAT
    manifest: Manifest
    signature: str = ""
    files: dict[str, str]
    """Path in the bundle -> the file's text."""


class SignedManifest(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """What an installed bundle keeps beside its files, so every load can check them again."""

    manifest: Manifest
    signature: str = ""


def file_digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def manifest_bytes(manifest: Manifest) -> bytes:
    """The bytes a signature covers: the manifest's RFC 8785 canonical JSON."""
    return canonicalize(msgspec.to_builtins(manifest))


def bundle_id(manifest: Manifest) -> str:
    """Names one bundle (its directory when installed): 16 hex digits of its manifest's hash."""
    return hashlib.sha256(manifest_bytes(manifest)).hexdigest()[:16]


def encode_bundle(bundle: Bundle) -> bytes:
    return msgspec.json.format(msgspec.json.encode(bundle), indent=1) + b"\n"


_decoder = msgspec.json.Decoder(Bundle)
_signed_decoder = msgspec.json.Decoder(SignedManifest)


def decode_bundle(data: bytes) -> Bundle:
    """The bundle in ``data``; BundleError naming the problem for anything else."""
    if len(data) > MAX_BUNDLE_BYTES:
        raise BundleError(f"the bundle is larger than {MAX_BUNDLE_BYTES // (1024 * 1024)} MiB")
    try:
        bundle = _decoder.decode(data)
    except (msgspec.DecodeError, msgspec.ValidationError) as exc:
        raise BundleError(f"not a Vectimus policy bundle: {exc}") from None
    check_format(bundle.format, bundle.manifest)
    return bundle


def decode_signed_manifest(data: bytes, where: str) -> SignedManifest:
    try:
        signed = _signed_decoder.decode(data)
    except (msgspec.DecodeError, msgspec.ValidationError) as exc:
        raise BundleError(f"{where}: not a bundle manifest: {exc}") from None
    check_format(FORMAT, signed.manifest)
    return signed


def check_format(name: str, manifest: Manifest) -> None:
    if name != FORMAT:
        raise BundleError(f"not a Vectimus policy bundle: format is {name[:80]!r}, not {FORMAT!r}")
    if manifest.version != MANIFEST_VERSION:
        raise BundleError(
            f"bundle manifest version {manifest.version} is not supported "
            f"(this Vectimus reads version {MANIFEST_VERSION})",
            hint="upgrade Vectimus, or build the bundle with this version",
        )
