"""The Ed25519 signing key, its public half for verifiers, and rotation.

Files, all under :func:`~vectimus.core.paths.vectimus_home` (directories 0700):

- ``signing-key.pem``: the private key, PKCS#8 PEM, mode 0600. Made on first use.
- ``keys/<ed25519-HEX>.pub.pem``: every public key this home has signed with
  (SubjectPublicKeyInfo PEM), the current one and each rotated-out one, so old receipts
  keep verifying. Hand this directory (or one file) to a verifier.
- ``keys/archive/<ed25519-HEX>.key.pem``: rotated-out private keys, mode 0600.

A key id is ``"ed25519:"`` plus the first 16 hex digits of SHA-256 over the 32 raw public
key bytes; it is derived, never stored apart from the key, so a key file cannot claim an id
that is not its own.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import re
import stat
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from vectimus.core.errors import VectimusError
from vectimus.core.paths import ensure_private_dir, vectimus_home

KEY_ID_PATTERN = re.compile(r"ed25519:[0-9a-f]{16}")
SIGNING_KEY_FILE = "signing-key.pem"
KEYRING_DIR = "keys"
ARCHIVE_DIR = "archive"
_LOCK_FILE = ".signing-key.lock"


class KeyFileError(VectimusError):
    """A key file is missing, unreadable, unparsable, of the wrong type, or too open."""

    code = "bad-key-file"


class UnknownKeyError(KeyFileError):
    """No public key with the requested key id is in the keyring."""

    code = "unknown-key"


def key_id_for(public_key: Ed25519PublicKey) -> str:
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return "ed25519:" + hashlib.sha256(raw).hexdigest()[:16]


def public_key_pem(public_key: Ed25519PublicKey) -> bytes:
    return public_key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


@dataclass(frozen=True, slots=True)
class SigningKey:
    """A private key with its derived id."""

    private_key: Ed25519PrivateKey
    key_id: str

    @classmethod
    def from_private_key(cls, private_key: Ed25519PrivateKey) -> SigningKey:
        return cls(private_key=private_key, key_id=key_id_for(private_key.public_key()))

    @classmethod
    def generate(cls) -> SigningKey:
        return cls.from_private_key(Ed25519PrivateKey.generate())

    @property
    def public_key(self) -> Ed25519PublicKey:
        return self.private_key.public_key()

    def sign(self, data: bytes) -> bytes:
        return self.private_key.sign(data)

    def private_pem(self) -> bytes:
        return self.private_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )


def signing_key_path(home: Path | None = None) -> Path:
    return (home or vectimus_home()) / SIGNING_KEY_FILE


def keyring_dir(home: Path | None = None) -> Path:
    return (home or vectimus_home()) / KEYRING_DIR


def key_file_stem(key_id: str) -> str:
    """``ed25519:0123...`` -> ``ed25519-0123...``; rejects anything that is not a key id."""
    if KEY_ID_PATTERN.fullmatch(key_id) is None:
        raise UnknownKeyError(f"not a key id: {key_id!r} (expected ed25519:<16 hex digits>)")
    return key_id.replace(":", "-")


def public_key_path(key_id: str, keyring: Path | None = None) -> Path:
    return (keyring or keyring_dir()) / f"{key_file_stem(key_id)}.pub.pem"


# --- reading -------------------------------------------------------------------------------


def _read_private_file(path: Path) -> bytes:
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
    except FileNotFoundError:
        raise KeyFileError(f"signing key {path} does not exist") from None
    except OSError as exc:
        raise KeyFileError(f"cannot open signing key {path}: {exc.strerror}") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise KeyFileError(f"signing key {path} is not a regular file")
        if info.st_mode & 0o077:
            raise KeyFileError(
                f"signing key {path} is accessible by group or others "
                f"(mode {stat.S_IMODE(info.st_mode):04o}, must be 0600)",
                hint=f"chmod 600 {path}",
            )
        chunks = []
        while chunk := os.read(fd, 65536):
            chunks.append(chunk)
        return b"".join(chunks)
    except OSError as exc:
        raise KeyFileError(f"cannot read signing key {path}: {exc.strerror}") from None
    finally:
        os.close(fd)


def load_signing_key(path: Path) -> SigningKey:
    """Read a PKCS#8 PEM Ed25519 private key; mode must deny group and others."""
    data = _read_private_file(path)
    try:
        key = serialization.load_pem_private_key(data, password=None)
    except (ValueError, TypeError, UnsupportedAlgorithm) as exc:
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise KeyFileError(f"signing key {path} is not an unencrypted PEM key: {reason}") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise KeyFileError(f"signing key {path} is not an Ed25519 key")
    return SigningKey.from_private_key(key)


def load_public_key_file(path: Path) -> Ed25519PublicKey:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise KeyFileError(f"public key {path} does not exist") from None
    except OSError as exc:
        raise KeyFileError(f"cannot read public key {path}: {exc.strerror}") from None
    try:
        key = serialization.load_pem_public_key(data)
    except (ValueError, TypeError, UnsupportedAlgorithm) as exc:
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise KeyFileError(f"public key {path} is not a PEM public key: {reason}") from None
    if not isinstance(key, Ed25519PublicKey):
        raise KeyFileError(f"public key {path} is not an Ed25519 key")
    return key


# --- writing -------------------------------------------------------------------------------


@contextlib.contextmanager
def _key_lock(home: Path) -> Iterator[None]:
    """Serialise key creation and rotation between processes."""
    fd = os.open(home / _LOCK_FILE, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing drops the lock


def _write_file_atomic(path: Path, data: bytes, mode: int) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, mode)
    try:
        os.fchmod(fd, mode)
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)
    tmp.replace(path)


def export_public_key(public_key: Ed25519PublicKey, keyring: Path | None = None) -> Path:
    """Write ``public_key`` into the keyring (if not there yet) and return its file."""
    directory = ensure_private_dir(keyring or keyring_dir())
    path = public_key_path(key_id_for(public_key), directory)
    if not path.exists():
        _write_file_atomic(path, public_key_pem(public_key), 0o644)
    return path


def load_or_create_signing_key(home: Path | None = None) -> SigningKey:
    """The current signing key, made (with its public key exported) on first use.

    Several processes may start at once: creation is serialised by a lock file so all of
    them end up with the same key.
    """
    home = home or vectimus_home()
    path = signing_key_path(home)
    if not path.exists():
        try:
            ensure_private_dir(home)
            with _key_lock(home):
                if not path.exists():
                    key = SigningKey.generate()
                    _write_file_atomic(path, key.private_pem(), 0o600)
        except OSError as exc:
            raise KeyFileError(f"cannot create signing key {path}: {exc.strerror}") from None
    key = load_signing_key(path)
    try:
        export_public_key(key.public_key, keyring_dir(home))
    except OSError as exc:
        raise KeyFileError(f"cannot export public key to {keyring_dir(home)}: {exc}") from None
    return key


@dataclass(frozen=True, slots=True)
class Rotation:
    old_key_id: str
    new_key_id: str
    archived_private_key: Path
    public_key_file: Path


def rotate_signing_key(home: Path | None = None) -> Rotation:
    """Replace the signing key with a new one.

    The old private key moves to ``keys/archive/`` (0600); its public key stays in the
    keyring, so every receipt it signed still verifies. Receipts signed after this carry the
    new key id and start a new chain (the chain is per signing key).
    """
    home = home or vectimus_home()
    path = signing_key_path(home)
    load_or_create_signing_key(home)  # there is always a key to rotate out
    try:
        with _key_lock(home):
            current = load_signing_key(path)  # as of now: another process may have rotated
            archive = ensure_private_dir(keyring_dir(home) / ARCHIVE_DIR)
            archived = archive / f"{key_file_stem(current.key_id)}.key.pem"
            _write_file_atomic(archived, current.private_pem(), 0o600)
            export_public_key(current.public_key, keyring_dir(home))
            new = SigningKey.generate()
            _write_file_atomic(path, new.private_pem(), 0o600)
            public_file = export_public_key(new.public_key, keyring_dir(home))
    except OSError as exc:
        raise KeyFileError(f"cannot rotate signing key {path}: {exc}") from None
    return Rotation(
        old_key_id=current.key_id,
        new_key_id=new.key_id,
        archived_private_key=archived,
        public_key_file=public_file,
    )


# --- verifying -----------------------------------------------------------------------------


class Keyring:
    """Public keys by key id: from a keyring directory, from given keys, or both."""

    def __init__(
        self, directory: Path | None = None, keys: tuple[Ed25519PublicKey, ...] = ()
    ) -> None:
        self.directory = directory
        self._keys: dict[str, Ed25519PublicKey] = {key_id_for(k): k for k in keys}

    @classmethod
    def default(cls) -> Keyring:
        return cls(keyring_dir())

    def add(self, public_key: Ed25519PublicKey) -> str:
        key_id = key_id_for(public_key)
        self._keys[key_id] = public_key
        return key_id

    def get(self, key_id: str) -> Ed25519PublicKey:
        """The public key for ``key_id``; :class:`UnknownKeyError` if there is none."""
        found = self._keys.get(key_id)
        if found is not None:
            return found
        if self.directory is None:
            raise UnknownKeyError(f"no public key for {key_id}")
        path = public_key_path(key_id, self.directory)
        if not path.exists():
            raise UnknownKeyError(f"no public key for {key_id} in {self.directory}")
        key = load_public_key_file(path)
        actual = key_id_for(key)
        if actual != key_id:
            raise KeyFileError(f"public key {path} is {actual}, not {key_id}")
        self._keys[key_id] = key
        return key

    def verify(self, key_id: str, signature: bytes, data: bytes) -> bool:
        """True when ``signature`` over ``data`` is valid for ``key_id``'s public key."""
        try:
            self.get(key_id).verify(signature, data)
        except InvalidSignature:
            return False
        return True
