"""Packs on disk, signing keys and bundles for the bundle tests."""

from __future__ import annotations

import base64
from collections.abc import Callable
from pathlib import Path

import msgspec
import pytest

from vectimus.core.bundles.build import build_bundle
from vectimus.core.bundles.format import Bundle, encode_bundle, file_digest, manifest_bytes
from vectimus.core.bundles.trust import TrustedKeys, public_key_text
from vectimus.core.receipts.keys import SigningKey

RULE = """@id("{rule_id}")
@description("{program} of anything")
forbid (principal, action == Vectimus::Action::"shell_command", resource)
when {{ context.program == "{program}" }};
"""


def write_pack(
    root: Path, rules: dict[str, str], *, name: str = "team", version: str = "1.0.0"
) -> Path:
    """A pack ``name`` under ``root``: one .cedar file per rule id, matching its program."""
    pack = root / name
    pack.mkdir(parents=True, exist_ok=True)
    (pack / "pack.toml").write_text(f'name = "{name}"\nversion = "{version}"\n')
    for rule_id, program in rules.items():
        (pack / f"{rule_id}.cedar").write_text(RULE.format(rule_id=rule_id, program=program))
    return root


def resign(bundle: Bundle, key: SigningKey | None, files: dict[str, str] | None = None) -> Bundle:
    """``bundle`` with ``files`` replaced or added, its manifest rebuilt to match, and signed
    again by ``key``: a bundle only a key holder could make."""
    contents = {**bundle.files, **(files or {})}
    manifest = msgspec.structs.replace(
        bundle.manifest,
        files={name: file_digest(text) for name, text in sorted(contents.items())},
        signer=public_key_text(key.public_key) if key else "",
    )
    signature = base64.b64encode(key.sign(manifest_bytes(manifest))).decode() if key else ""
    return Bundle(manifest=manifest, signature=signature, files=contents)


@pytest.fixture
def key() -> SigningKey:
    return SigningKey.generate()


@pytest.fixture
def trusted(key: SigningKey) -> TrustedKeys:
    return {key.key_id: key.public_key}


@pytest.fixture
def packs(tmp_path: Path) -> Path:
    return write_pack(tmp_path / "src", {"team-001": "alpha", "team-002": "beta"})


@pytest.fixture
def signed(packs: Path, key: SigningKey) -> Bundle:
    return build_bundle(packs, key=key)


@pytest.fixture
def as_bytes() -> Callable[[Bundle], bytes]:
    return encode_bundle
