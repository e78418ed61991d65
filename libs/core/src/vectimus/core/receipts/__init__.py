"""Signed decision receipts: RFC 8785 canonical JSON, Ed25519 signatures, a hash chain per key.

Typical use by the pipeline::

    key = load_or_create_signing_key()
    store = ReceiptStore.for_project(project_root)
    signer = ReceiptSigner(key, FileHeadStore.for_receipts_dir(store.root))
    decision = msgspec.structs.replace(decision, receipt_id=new_receipt_id())
    ...answer the agent...
    store.write(signer.sign(event, decision, policy_set_hash=..., pack_versions=...,
                            source=..., principal=...))
"""

# Names resolve on first use, so importing one light submodule (the receipt ids, on the
# hook's hot path) does not pull in cryptography and the canonicaliser.
from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from vectimus.core.receipts.chain import ChainProblem, ChainReport, verify_chain
    from vectimus.core.receipts.ids import new_receipt_id
    from vectimus.core.receipts.jcs import CanonicalisationError, canonicalize
    from vectimus.core.receipts.keys import (
        KeyFileError,
        Keyring,
        SigningKey,
        UnknownKeyError,
        export_public_key,
        load_or_create_signing_key,
        rotate_signing_key,
    )
    from vectimus.core.receipts.receipt import (
        ChainHead,
        MemoryHeadStore,
        Receipt,
        ReceiptError,
        ReceiptFormatError,
        ReceiptSigner,
        Verification,
        decode_receipt,
        event_hash,
        receipt_hash,
        verify_receipt,
    )
    from vectimus.core.receipts.settings import ReceiptSettings
    from vectimus.core.receipts.store import FileHeadStore, ReceiptStore, receipts_dir

_EXPORTS = {
    "CanonicalisationError": "vectimus.core.receipts.jcs",
    "ChainHead": "vectimus.core.receipts.receipt",
    "ChainProblem": "vectimus.core.receipts.chain",
    "ChainReport": "vectimus.core.receipts.chain",
    "FileHeadStore": "vectimus.core.receipts.store",
    "KeyFileError": "vectimus.core.receipts.keys",
    "Keyring": "vectimus.core.receipts.keys",
    "MemoryHeadStore": "vectimus.core.receipts.receipt",
    "Receipt": "vectimus.core.receipts.receipt",
    "ReceiptError": "vectimus.core.receipts.receipt",
    "ReceiptFormatError": "vectimus.core.receipts.receipt",
    "ReceiptSettings": "vectimus.core.receipts.settings",
    "ReceiptSigner": "vectimus.core.receipts.receipt",
    "ReceiptStore": "vectimus.core.receipts.store",
    "SigningKey": "vectimus.core.receipts.keys",
    "UnknownKeyError": "vectimus.core.receipts.keys",
    "Verification": "vectimus.core.receipts.receipt",
    "canonicalize": "vectimus.core.receipts.jcs",
    "decode_receipt": "vectimus.core.receipts.receipt",
    "event_hash": "vectimus.core.receipts.receipt",
    "export_public_key": "vectimus.core.receipts.keys",
    "load_or_create_signing_key": "vectimus.core.receipts.keys",
    "new_receipt_id": "vectimus.core.receipts.ids",
    "receipt_hash": "vectimus.core.receipts.receipt",
    "receipts_dir": "vectimus.core.receipts.store",
    "rotate_signing_key": "vectimus.core.receipts.keys",
    "verify_chain": "vectimus.core.receipts.chain",
    "verify_receipt": "vectimus.core.receipts.receipt",
}


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(import_module(module), name)


__all__ = [
    "CanonicalisationError",
    "ChainHead",
    "ChainProblem",
    "ChainReport",
    "FileHeadStore",
    "KeyFileError",
    "Keyring",
    "MemoryHeadStore",
    "Receipt",
    "ReceiptError",
    "ReceiptFormatError",
    "ReceiptSettings",
    "ReceiptSigner",
    "ReceiptStore",
    "SigningKey",
    "UnknownKeyError",
    "Verification",
    "canonicalize",
    "decode_receipt",
    "event_hash",
    "export_public_key",
    "load_or_create_signing_key",
    "new_receipt_id",
    "receipt_hash",
    "receipts_dir",
    "rotate_signing_key",
    "verify_chain",
    "verify_receipt",
]
