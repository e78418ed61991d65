"""Everything a bundle must pass before it is installed, and again each time it is loaded.

In order: the manifest is signed by a trusted key (or, with no ``trusted_keys`` configured,
is unsigned or carries a valid signature of its own); the files are exactly the manifest's,
each with its SHA-256; the schema is this Vectimus's; every policy parses and validates; and
the compiled set has the manifest's policy-set hash. Pure functions: bytes in, a verdict out.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature

from vectimus.core.bundles.format import (
    PACK_FILE,
    SCHEMA_FILE,
    Bundle,
    BundleError,
    Manifest,
    bundle_id,
    decode_bundle,
    file_digest,
    manifest_bytes,
)
from vectimus.core.bundles.trust import TrustedKeys, parse_public_key
from vectimus.core.engine.compile import PolicyFile, compile_policies, parse_pack_info
from vectimus.core.engine.compiled import CompiledPolicies, schema_text
from vectimus.core.errors import PolicyLoadError
from vectimus.core.receipts.jcs import sha256_hex
from vectimus.core.receipts.keys import key_id_for


@dataclass(frozen=True)
class Signer:
    key_id: str
    """Empty for an unsigned bundle."""
    trusted: bool


@dataclass(frozen=True)
class Verified:
    """A bundle that passed every check, with what was learnt on the way."""

    bundle: Bundle
    bundle_id: str
    signer: Signer
    compiled: CompiledPolicies


def check_signature(manifest: Manifest, signature: str, trusted: TrustedKeys) -> Signer:
    """Who signed ``manifest``, if anyone; BundleError when that is not acceptable."""
    if not manifest.signer and not signature:
        if trusted:
            raise BundleError(
                "the bundle is unsigned, and [policies] trusted_keys is set: only bundles "
                "signed by a trusted key are accepted",
                hint="build it with `vectimus policy bundle build DIR -o FILE --signing-key KEY`",
            )
        return Signer(key_id="", trusted=False)
    if not manifest.signer or not signature:
        raise BundleError("the bundle names a signer but has no signature, or the reverse")
    try:
        claimed = parse_public_key(manifest.signer)
    except ValueError as exc:
        raise BundleError(f"the bundle's signer is malformed: {exc}") from None
    key_id = key_id_for(claimed)
    if trusted and key_id not in trusted:
        raise BundleError(
            f"the bundle is signed by {key_id}, which is not in [policies] trusted_keys",
            hint="add the signer's public key to trusted_keys in ~/.vectimus/config.toml "
            "if you trust it",
        )
    try:
        raw_signature = base64.b64decode(signature, validate=True)
    except (binascii.Error, ValueError):
        raise BundleError("the bundle's signature is not base64") from None
    public_key = trusted.get(key_id, claimed)
    try:
        public_key.verify(raw_signature, manifest_bytes(manifest))
    except InvalidSignature:
        raise BundleError(
            f"bad signature: the manifest does not verify with {key_id} (it was changed "
            "after signing, or the signature is not this key's)"
        ) from None
    return Signer(key_id=key_id, trusted=bool(trusted))


def check_files(manifest: Manifest, files: Mapping[str, str]) -> None:
    """The files are exactly the manifest's, with its SHA-256s, and all of loadable shape."""
    for name in manifest.files:
        if name != SCHEMA_FILE and PACK_FILE.fullmatch(name) is None:
            raise BundleError(
                f"the manifest lists {name[:200]!r}: a bundle holds only {SCHEMA_FILE}, "
                "packs/<pack>/pack.toml and packs/<pack>/<name>.cedar"
            )
    if SCHEMA_FILE not in manifest.files:
        raise BundleError(f"the manifest does not list the schema, {SCHEMA_FILE}")
    extra = sorted(set(files) - set(manifest.files))
    if extra:
        raise BundleError(f"{extra[0][:200]!r} is in the bundle but not in its signed manifest")
    missing = sorted(set(manifest.files) - set(files))
    if missing:
        raise BundleError(f"{missing[0]} is listed in the manifest but missing from the bundle")
    for name, expected in sorted(manifest.files.items()):
        if file_digest(files[name]) != expected:
            raise BundleError(
                f"{name} does not match its SHA-256 in the manifest (it was changed after "
                "the bundle was built)"
            )


def check_integrity(bundle: Bundle, trusted: TrustedKeys) -> Signer:
    """Signature first (an untrusted manifest is not looked at further), then the files."""
    signer = check_signature(bundle.manifest, bundle.signature, trusted)
    check_files(bundle.manifest, bundle.files)
    return signer


def policy_files(files: Mapping[str, str], display: Callable[[str], str]) -> list[PolicyFile]:
    """The bundle's policies in the loader's order (packs, then files, by name).

    The same order as :func:`vectimus.core.engine.compile.load_policy_dirs` reads the
    installed files in, so the hash computed here is the one a server reports later.
    ``display`` turns a bundle path into the name errors should quote."""
    packs: dict[str, dict[str, str]] = {}
    for name in sorted(files):
        found = PACK_FILE.fullmatch(name)
        if found is not None:
            packs.setdefault(found.group(1), {})[found.group(2)] = name
    result = []
    for directory, members in sorted(packs.items()):
        manifest = members.get("pack.toml")
        if manifest is None:
            pack, version = directory, "0"
        else:
            pack, version, _ = parse_pack_info(files[manifest], display(manifest))
        for file_name, name in sorted(members.items()):
            if file_name.endswith(".cedar"):
                text = files[name]
                result.append(
                    PolicyFile(pack=pack, pack_version=version, path=display(name), text=text)
                )
    return result


def verify_bundle(data: bytes, trusted: TrustedKeys) -> Verified:
    """Decode and check ``data`` completely; BundleError says what is wrong with it."""
    bundle = decode_bundle(data)
    signer = check_integrity(bundle, trusted)
    manifest = bundle.manifest
    schema = bundle.files[SCHEMA_FILE]
    if schema != schema_text():
        theirs, ours = sha256_hex(schema.encode())[:16], sha256_hex(schema_text().encode())[:16]
        raise BundleError(
            f"the bundle was built for another Cedar schema (sha256 {theirs}; this Vectimus "
            f"has {ours})",
            hint="build the bundle with the Vectimus version the servers run",
        )
    try:
        compiled = compile_policies(policy_files(bundle.files, lambda name: name))
    except PolicyLoadError as exc:
        raise BundleError(f"a policy in the bundle does not load: {exc}") from None
    if compiled.policy_set_hash != manifest.policy_set_hash:
        raise BundleError(
            f"the policies compile to set {compiled.policy_set_hash[:16]}, not the "
            f"manifest's {manifest.policy_set_hash[:16]}"
        )
    if dict(compiled.packs) != manifest.packs:
        raise BundleError("the manifest's pack versions are not those of the packs it holds")
    return Verified(bundle=bundle, bundle_id=bundle_id(manifest), signer=signer, compiled=compiled)
