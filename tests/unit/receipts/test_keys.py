from __future__ import annotations

import hashlib
import multiprocessing
import stat
from collections.abc import Callable
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from vectimus.core.events import Decision, Event
from vectimus.core.receipts.keys import (
    KEY_ID_PATTERN,
    KeyFileError,
    Keyring,
    SigningKey,
    UnknownKeyError,
    key_id_for,
    keyring_dir,
    load_or_create_signing_key,
    public_key_path,
    rotate_signing_key,
    signing_key_path,
)
from vectimus.core.receipts.receipt import MemoryHeadStore, Receipt, ReceiptSigner, verify_receipt


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_first_use_creates_a_private_pkcs8_key_and_exports_the_public_key(home: Path) -> None:
    key = load_or_create_signing_key()
    pem = signing_key_path().read_bytes()
    assert pem.startswith(b"-----BEGIN PRIVATE KEY-----")  # PKCS#8, unencrypted
    assert _mode(signing_key_path()) == 0o600
    assert _mode(home) == 0o700
    assert _mode(keyring_dir()) == 0o700
    exported = public_key_path(key.key_id)
    assert exported.read_bytes().startswith(b"-----BEGIN PUBLIC KEY-----")
    assert load_or_create_signing_key().key_id == key.key_id


def test_key_id_is_derived_from_the_raw_public_key(key: SigningKey) -> None:
    raw = key.public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    assert key.key_id == "ed25519:" + hashlib.sha256(raw).hexdigest()[:16]
    assert KEY_ID_PATTERN.fullmatch(key.key_id)
    assert key_id_for(key.public_key) == key.key_id


@pytest.mark.parametrize("mode", [0o640, 0o604, 0o644, 0o660])
def test_group_or_other_access_is_an_error_naming_the_file(key: SigningKey, mode: int) -> None:
    path = signing_key_path()
    path.chmod(mode)
    with pytest.raises(KeyFileError) as caught:
        load_or_create_signing_key()
    assert str(path) in str(caught.value)
    assert "chmod 600" in str(caught.value)


@pytest.mark.parametrize(
    "content",
    [b"", b"not a key", b"-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"],
)
def test_unparsable_key_is_an_error_naming_the_file(home: Path, content: bytes) -> None:
    home.mkdir(mode=0o700)
    path = signing_key_path()
    path.write_bytes(content)
    path.chmod(0o600)
    with pytest.raises(KeyFileError) as caught:
        load_or_create_signing_key()
    assert str(path) in str(caught.value)
    assert "\n" not in str(caught.value)


def test_a_key_of_another_type_is_refused(home: Path) -> None:
    home.mkdir(mode=0o700)
    other = ec.generate_private_key(ec.SECP256R1())
    path = signing_key_path()
    path.write_bytes(
        other.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    path.chmod(0o600)
    with pytest.raises(KeyFileError, match="not an Ed25519 key"):
        load_or_create_signing_key()


def test_keyring_refuses_unknown_ids_and_path_tricks(key: SigningKey) -> None:
    keyring = Keyring(keyring_dir())
    assert key_id_for(keyring.get(key.key_id)) == key.key_id
    with pytest.raises(UnknownKeyError):
        keyring.get("ed25519:0000000000000000")
    with pytest.raises(UnknownKeyError):
        keyring.get("../../etc/passwd")


def test_keyring_detects_a_public_key_file_that_is_not_its_id(key: SigningKey) -> None:
    other = SigningKey.generate()
    public_key_path(key.key_id).write_bytes(
        other.public_key.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    with pytest.raises(KeyFileError, match="not ed25519"):
        Keyring(keyring_dir()).get(key.key_id)


def test_rotation_archives_the_old_key_and_old_receipts_still_verify(
    key: SigningKey,
    event: Callable[..., Event],
    decision: Callable[..., Decision],
) -> None:
    def sign(signing_key: SigningKey) -> Receipt:
        return ReceiptSigner(signing_key, MemoryHeadStore()).sign(
            event(),
            decision(),
            policy_set_hash="p",
            pack_versions={},
            source="claude-code",
            principal="alice",
        )

    old_receipt = sign(key)
    rotation = rotate_signing_key()
    assert rotation.old_key_id == key.key_id
    assert rotation.new_key_id != key.key_id
    assert _mode(rotation.archived_private_key) == 0o600
    assert _mode(rotation.archived_private_key.parent) == 0o700
    new_key = load_or_create_signing_key()
    assert new_key.key_id == rotation.new_key_id
    new_receipt = sign(new_key)
    keyring = Keyring(keyring_dir())  # only the public keys on disk
    assert verify_receipt(old_receipt, keyring).ok
    assert verify_receipt(new_receipt, keyring).ok
    assert new_receipt.key_id == rotation.new_key_id
    assert public_key_path(key.key_id).exists()
    assert public_key_path(new_key.key_id).exists()
    second = rotate_signing_key()
    assert second.old_key_id == new_key.key_id
    assert len(list(keyring_dir().glob("*.pub.pem"))) == 3


def _load_key_id(queue: multiprocessing.Queue[str]) -> None:
    queue.put(load_or_create_signing_key().key_id)


def test_concurrent_first_use_agrees_on_one_key(home: Path) -> None:
    context = multiprocessing.get_context("fork")
    queue: multiprocessing.Queue[str] = context.Queue()
    workers = [context.Process(target=_load_key_id, args=(queue,)) for _ in range(6)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(30)
    ids = {queue.get(timeout=5) for _ in workers}
    assert len(ids) == 1
    assert [p.name for p in keyring_dir().iterdir()] == [f"{ids.pop().replace(':', '-')}.pub.pem"]
