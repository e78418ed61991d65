"""``vectimus policy bundle build``: a directory of packs in, one (signed) bundle file out."""

from __future__ import annotations

import base64
from datetime import UTC, datetime
from pathlib import Path

from vectimus.core.bundles.format import (
    NAME,
    PACK_FILE,
    PACKS_DIR,
    SCHEMA_FILE,
    Bundle,
    BundleError,
    Manifest,
    file_digest,
    manifest_bytes,
)
from vectimus.core.bundles.trust import public_key_text
from vectimus.core.bundles.verify import policy_files
from vectimus.core.engine.compile import compile_policies, pack_dirs
from vectimus.core.engine.compiled import schema_text
from vectimus.core.receipts.keys import SigningKey


def collect_files(directory: Path) -> tuple[dict[str, str], dict[str, Path]]:
    """The bundle's files (path -> text) from the packs under ``directory``, and where each
    came from. Only what the loader reads is taken: pack.toml and *.cedar, not fixtures."""
    root = directory.expanduser().resolve()
    if not root.is_dir():
        raise BundleError(f"{root} is not a directory")
    packs = pack_dirs(root)
    if not packs:
        raise BundleError(
            f"no policy packs under {root} (a pack is a directory with pack.toml or *.cedar files)"
        )
    files = {SCHEMA_FILE: schema_text()}
    origins: dict[str, Path] = {}
    for pack in packs:
        if NAME.fullmatch(pack.name) is None:
            raise BundleError(
                f"{pack}: a pack directory's name must use letters, digits, '.', '_' and '-'"
            )
        members = [pack / "pack.toml"] if (pack / "pack.toml").is_file() else []
        for path in [*members, *sorted(pack.glob("*.cedar"))]:
            name = f"{PACKS_DIR}/{pack.name}/{path.name}"
            if PACK_FILE.fullmatch(name) is None:
                raise BundleError(
                    f"{path}: a policy file's name must use letters, digits, '.', '_' and '-'"
                )
            try:
                files[name] = path.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError) as exc:
                raise BundleError(f"{path}: cannot read: {exc}") from None
            origins[name] = path
    return files, origins


def build_bundle(
    directory: Path, *, key: SigningKey | None = None, now: datetime | None = None
) -> Bundle:
    """Compile (and so validate) the packs under ``directory`` and wrap them in a bundle.

    A pack that does not load stops the build with its file and line, as a load would."""
    files, origins = collect_files(directory)
    compiled = compile_policies(policy_files(files, lambda name: str(origins.get(name, name))))
    built_at = (now or datetime.now(UTC)).strftime("%Y-%m-%dT%H:%M:%SZ")
    manifest = Manifest(
        built_at=built_at,
        policy_set_hash=compiled.policy_set_hash,
        packs=dict(compiled.packs),
        files={name: file_digest(text) for name, text in sorted(files.items())},
        signer=public_key_text(key.public_key) if key is not None else "",
    )
    signature = base64.b64encode(key.sign(manifest_bytes(manifest))).decode("ascii") if key else ""
    return Bundle(manifest=manifest, signature=signature, files=files)
