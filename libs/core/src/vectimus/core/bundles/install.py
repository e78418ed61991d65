"""The installed policy set: ``<VECTIMUS_HOME>/policies``, swapped in with one rename.

```
policies/active.json          which bundle is in force, and where it came from
policies/b-<bundle id>/       signed-manifest.json, vectimus.cedarschema, packs/<pack>/...
```

A bundle is written beside the one in force (a staging directory, renamed into place when
complete), then ``active.json`` is replaced with ``os.replace``: a reader sees the old set
or the new one, never part of either. Every load verifies the installed files again against
the signed manifest and the *current* ``trusted_keys``, so a file changed on disk after the
install, or a key no longer trusted, stops the load instead of being obeyed. The set in
force and the one before it are kept; older ones are removed.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import stat
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import msgspec

from vectimus.core.bundles.format import (
    NAME,
    PACK_FILE,
    PACKS_DIR,
    SCHEMA_FILE,
    Bundle,
    BundleError,
    SignedManifest,
    bundle_id,
    decode_signed_manifest,
)
from vectimus.core.bundles.provenance import PolicySource
from vectimus.core.bundles.trust import TrustedKeys
from vectimus.core.bundles.verify import Verified, check_integrity
from vectimus.core.clock import utc_now_iso
from vectimus.core.errors import PolicyLoadError, VectimusError
from vectimus.core.paths import ensure_private_dir, vectimus_home

ACTIVE_FILE = "active.json"
MANIFEST_FILE = "signed-manifest.json"
_LOCK_FILE = ".install.lock"


class InstalledBundle(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """``active.json``: the bundle in force and its provenance."""

    directory: str
    bundle_id: str
    policy_set_hash: str
    origin: str
    installed_at: str
    built_at: str
    signer: str = ""
    signer_trusted: bool = False
    packs: dict[str, str] = msgspec.field(default_factory=dict)


@dataclass(frozen=True)
class Installation:
    record: InstalledBundle
    changed: bool
    """False when this bundle was already the one in force."""
    previous: InstalledBundle | None


def policies_root(home: Path | None = None) -> Path:
    return (home or vectimus_home()) / "policies"


def active_file(home: Path | None = None) -> Path:
    return policies_root(home) / ACTIVE_FILE


_active_decoder = msgspec.json.Decoder(InstalledBundle)


def read_active(home: Path | None = None) -> InstalledBundle | None:
    """The bundle in force, or None when none was ever installed."""
    path = active_file(home)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise PolicyLoadError(f"{path}: cannot read: {exc.strerror}") from None
    try:
        record = _active_decoder.decode(data)
    except (msgspec.DecodeError, msgspec.ValidationError) as exc:
        raise PolicyLoadError(f"{path}: not a record of an installed bundle: {exc}") from None
    if NAME.fullmatch(record.directory) is None:
        raise PolicyLoadError(f"{path}: names {record.directory[:80]!r}, not a bundle directory")
    return record


def packs_dir(record: InstalledBundle, home: Path | None = None) -> Path:
    return policies_root(home) / record.directory / PACKS_DIR


# --- loading -------------------------------------------------------------------------------


def _read_regular(path: Path, where: Path) -> str:
    info = path.lstat()
    if not stat.S_ISREG(info.st_mode):
        raise BundleError(f"{path} is not a regular file")
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise BundleError(f"{path.relative_to(where)}: cannot read: {exc}") from None


def _installed_files(directory: Path) -> dict[str, str]:
    """Every file the loader would read from an installed bundle, by bundle path; anything
    there that a bundle cannot hold is an error (an extra file is never loaded unchecked)."""
    files = {SCHEMA_FILE: _read_regular(directory / SCHEMA_FILE, directory)}
    packs = directory / PACKS_DIR
    for pack in sorted(packs.iterdir()):
        if not stat.S_ISDIR(pack.lstat().st_mode):
            raise BundleError(f"{pack.relative_to(directory)} is not a pack directory")
        for member in sorted(pack.iterdir()):
            name = f"{PACKS_DIR}/{pack.name}/{member.name}"
            if PACK_FILE.fullmatch(name) is None:
                raise BundleError(f"{name} does not belong in a bundle")
            files[name] = _read_regular(member, directory)
    return files


@dataclass(frozen=True)
class LoadedBundle:
    bundle: Bundle
    source: PolicySource
    directory: Path


def load_installed(
    record: InstalledBundle, trusted: TrustedKeys, home: Path | None = None
) -> LoadedBundle:
    """The installed bundle ``record`` names, checked again; PolicyLoadError if it fails."""
    directory = policies_root(home) / record.directory
    try:
        signed = decode_signed_manifest(
            (directory / MANIFEST_FILE).read_bytes(), str(directory / MANIFEST_FILE)
        )
        bundle = Bundle(
            manifest=signed.manifest,
            signature=signed.signature,
            files=_installed_files(directory),
        )
        signer = check_integrity(bundle, trusted)
    except (BundleError, OSError) as exc:
        raise PolicyLoadError(
            f"the installed policy bundle {directory} fails verification: {exc}",
            hint="install a good bundle with `vectimus policy update`",
        ) from None
    if bundle_id(bundle.manifest) != record.bundle_id:
        raise PolicyLoadError(f"{directory} does not hold bundle {record.bundle_id}")
    source = PolicySource(
        kind="bundle",
        location=str(directory / PACKS_DIR),
        origin=record.origin,
        bundle_id=record.bundle_id,
        signer=signer.key_id,
        signer_trusted=signer.trusted,
        built_at=bundle.manifest.built_at,
        installed_at=record.installed_at,
    )
    return LoadedBundle(bundle=bundle, source=source, directory=directory)


# --- installing ----------------------------------------------------------------------------


@contextlib.contextmanager
def _locked(root: Path) -> Iterator[None]:
    """One install at a time per home (a gateway's workers may all fetch the same bundle)."""
    fd = os.open(root / _LOCK_FILE, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def _write(path: Path, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o644)
    try:
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)


def _sync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _write_tree(directory: Path, bundle: Bundle) -> None:
    signed = SignedManifest(manifest=bundle.manifest, signature=bundle.signature)
    _write(directory / MANIFEST_FILE, msgspec.json.encode(signed))
    for name, text in sorted(bundle.files.items()):
        path = directory / name
        path.parent.mkdir(mode=0o755, parents=True, exist_ok=True)
        _write(path, text.encode("utf-8"))
    for folder in sorted({(directory / n).parent for n in bundle.files}, reverse=True):
        _sync_dir(folder)


def _point_to(root: Path, record: InstalledBundle | None) -> None:
    """Make ``record`` the one in force (None: no bundle), by one atomic rename."""
    target = root / ACTIVE_FILE
    if record is None:
        target.unlink(missing_ok=True)
    else:
        temp = root / f".{ACTIVE_FILE}.{os.getpid()}"
        temp.unlink(missing_ok=True)
        _write(temp, msgspec.json.encode(record))
        temp.replace(target)
    _sync_dir(root)


def _prune(root: Path, keep: set[str]) -> None:
    for entry in root.iterdir():
        stale = entry.name.startswith(".incoming-") or (
            entry.name.startswith("b-") and entry.name not in keep
        )
        if stale and entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry, ignore_errors=True)


def install(
    verified: Verified,
    origin: str,
    *,
    check: Callable[[Path], None] | None = None,
    home: Path | None = None,
) -> Installation:
    """Put ``verified`` in force. ``check`` is given the staged packs directory before the
    swap (it loads them with the user's configuration); if it raises, nothing changes."""
    root = ensure_private_dir(policies_root(home))
    with _locked(root):
        try:
            previous = read_active(home)
        except PolicyLoadError:
            previous = None  # a damaged record: this install replaces it
        name = f"b-{verified.bundle_id}"
        if previous is not None and previous.directory == name and (root / name).is_dir():
            return Installation(record=previous, changed=False, previous=previous)
        staging = Path(tempfile.mkdtemp(prefix=".incoming-", dir=root))
        try:
            _write_tree(staging, verified.bundle)
            if check is not None:
                check(staging / PACKS_DIR)
            target = root / name
            if target.exists():  # a copy not in force (the set before a rollback)
                shutil.rmtree(target)
            staging.rename(target)
        except VectimusError as exc:
            raise BundleError(
                f"the bundle is sound, but the policies would not load with this "
                f"configuration: {exc}"
            ) from None
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        manifest = verified.bundle.manifest
        record = InstalledBundle(
            directory=name,
            bundle_id=verified.bundle_id,
            policy_set_hash=manifest.policy_set_hash,
            origin=origin,
            installed_at=utc_now_iso(),
            built_at=manifest.built_at,
            signer=verified.signer.key_id,
            signer_trusted=verified.signer.trusted,
            packs=dict(manifest.packs),
        )
        _point_to(root, record)
        _prune(root, {name, previous.directory if previous else ""})
        return Installation(record=record, changed=True, previous=previous)
