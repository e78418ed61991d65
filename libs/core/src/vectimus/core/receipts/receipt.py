"""The signed receipt: its shape, and pure functions to build, sign, hash and verify it.

What is signed: the RFC 8785 bytes of the receipt's JSON object without its ``signature``
member. What the chain links: ``prev_receipt_hash`` is the SHA-256 hex of the previous
receipt's full canonical bytes, signature included, for the same signing key (and the same
head store); the first receipt of a chain has ``prev_receipt_hash == ""``.

Both are computed from the parsed JSON, not from file bytes, so a receipt still verifies
after any JSON round trip (re-indenting, reordering members). Numbers included: RFC 8785
formats ``evaluation_time_ms`` the same way whichever writer produced it.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import math
import re
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, NamedTuple, Protocol, TypeVar

import msgspec

from vectimus.core.clock import format_utc
from vectimus.core.errors import VectimusError
from vectimus.core.events import Decision, DecisionKind, Event
from vectimus.core.jsondecode import DECODE_ERRORS
from vectimus.core.receipts.ids import is_safe_receipt_id
from vectimus.core.receipts.jcs import canonicalize, plain_number, sha256_hex, sorted_json
from vectimus.core.receipts.keys import KEY_ID_PATTERN, KeyFileError, Keyring, SigningKey

RECEIPT_VERSION = 1
GENESIS_PREV = ""
"""``prev_receipt_hash`` of the first receipt in a chain."""

_TIMESTAMP = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z")
_HEX64 = re.compile(r"[0-9a-f]{64}")
_SIGNATURE_BYTES = 64


class ReceiptError(VectimusError):
    """A receipt cannot be made or stored."""

    code = "receipt-error"


class ReceiptFormatError(ReceiptError):
    """Input that should be a receipt is not JSON or not the receipt shape."""

    code = "bad-receipt"


class Receipt(
    msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True, omit_defaults=True
):
    """One signed decision. Every field is required but ``escalation_of``; unknown members
    are rejected, so nothing can be added to a receipt file without failing verification."""

    v: int
    receipt_id: str
    timestamp: str
    """UTC, microseconds, ``YYYY-MM-DDTHH:MM:SS.ffffffZ``; set by the signer under the chain
    lock and never earlier than the previous receipt's."""
    event_hash: str
    """SHA-256 hex of the RFC 8785 bytes of ``msgspec.to_builtins(event)``, before redaction."""
    decision: DecisionKind
    reason: str
    matched_policy_ids: tuple[str, ...]
    policy_set_hash: str
    pack_versions: dict[str, str]
    evaluation_time_ms: float
    source: str
    principal: str
    key_id: str
    prev_receipt_hash: str
    signature: str
    """Base64 (standard alphabet, padded) of the 64-byte Ed25519 signature."""
    escalation_of: str = ""
    """On the receipt of an approval or a timeout: the receipt id of the escalated decision
    it settles. Absent (not empty) from every other receipt, so their bytes are unchanged."""


def format_timestamp(moment: datetime) -> str:
    return format_utc(moment)


def _plain_facts(facts: dict[str, Any]) -> bool:
    return all(
        k.isascii() and (type(v) is str or type(v) is bool or (type(v) is int and plain_number(v)))
        for k, v in facts.items()
    )


def event_bytes(event: Event) -> bytes:
    """The canonical JSON of ``msgspec.to_builtins(event)``.

    An event's members are strings, None and arrays of strings, whose sorted JSON is always
    canonical, but for the action's ``extra`` facts: when those are plain too, the event is
    encoded as it is, without walking it (a quarter of a signer's CPU). The declared types
    are trusted here (mypy checks them); tests/unit/receipts/test_receipt.py pins them."""
    if _plain_facts(event.action.extra):
        with contextlib.suppress(UnicodeEncodeError):
            return sorted_json(event)
    return canonicalize(msgspec.to_builtins(event))


def event_hash(event: Event) -> str:
    """SHA-256 hex of the canonical JSON of the normalised (unredacted) event."""
    return sha256_hex(event_bytes(event))


def _canonical_receipt(receipt: Receipt, data: dict[str, Any]) -> bytes:
    """The canonical bytes of ``data`` (``receipt``'s members, maybe less its signature). A
    receipt's members are strings and arrays of strings but for ``v``,
    ``evaluation_time_ms`` and the keys of ``pack_versions``, checked here, as for events."""
    if (
        plain_number(receipt.v)
        and plain_number(receipt.evaluation_time_ms)
        and "".join(receipt.pack_versions).isascii()
    ):
        with contextlib.suppress(UnicodeEncodeError):
            return sorted_json(data)
    return canonicalize(data)


def signing_bytes(receipt: Receipt) -> bytes:
    """The bytes the signature covers: canonical JSON of the receipt minus ``signature``."""
    data: dict[str, Any] = msgspec.to_builtins(receipt)
    del data["signature"]
    return _canonical_receipt(receipt, data)


def receipt_bytes(receipt: Receipt) -> bytes:
    """The receipt's full canonical JSON (what the store writes and the chain hashes)."""
    return _canonical_receipt(receipt, msgspec.to_builtins(receipt))


def receipt_hash(receipt: Receipt) -> str:
    """What the next receipt's ``prev_receipt_hash`` must be."""
    return sha256_hex(receipt_bytes(receipt))


def build_receipt(
    event: Event,
    decision: Decision,
    *,
    policy_set_hash: str,
    pack_versions: dict[str, str],
    source: str,
    principal: str,
    key_id: str,
    prev_receipt_hash: str,
    timestamp: str,
    reason: str | None = None,
) -> Receipt:
    """An unsigned receipt (``signature == ""``) for ``decision`` on ``event``.

    ``reason`` overrides ``decision.reason`` (the signer passes a redacted copy).
    """
    if not decision.receipt_id:
        raise ReceiptError("the decision has no receipt_id; set it with new_receipt_id()")
    if not is_safe_receipt_id(decision.receipt_id):
        raise ReceiptError(f"receipt_id {decision.receipt_id!r} is not a safe file name")
    elapsed = float(decision.evaluation_time_ms)
    if not math.isfinite(elapsed):
        raise ReceiptError(f"evaluation_time_ms must be finite, got {elapsed}")
    return Receipt(
        v=RECEIPT_VERSION,
        receipt_id=decision.receipt_id,
        timestamp=timestamp,
        event_hash=event_hash(event),
        decision=decision.decision,
        reason=decision.reason if reason is None else reason,
        matched_policy_ids=tuple(decision.matched_policy_ids),
        policy_set_hash=policy_set_hash,
        pack_versions=dict(pack_versions),
        evaluation_time_ms=elapsed,
        source=source,
        principal=principal,
        key_id=key_id,
        prev_receipt_hash=prev_receipt_hash,
        signature="",
        escalation_of=decision.escalation_of,
    )


def _member_after_signature() -> bytes:
    """The member that follows ``signature`` in canonical (UTF-16 sorted) order."""
    names = sorted(Receipt.__struct_fields__, key=lambda name: name.encode("utf-16-be"))
    return b',"' + names[names.index("signature") + 1].encode("ascii") + b'":'


_AFTER_SIGNATURE = _member_after_signature()


def _with_signature(payload: bytes, signature: str) -> bytes:
    """Full canonical bytes from the signed payload: the ``signature`` member inserted at its
    sorted place, so a receipt is canonicalised once, not twice. The place is the last
    top-level ``,"source":`` (or whichever member follows ``signature``): the members after
    it are plain strings and numbers, whose canonical form has no unescaped quote. Only for
    signatures in base64, which need no escaping."""
    at = payload.rindex(_AFTER_SIGNATURE)
    return payload[:at] + b',"signature":"' + signature.encode("ascii") + b'"' + payload[at:]


def sign_receipt_with_bytes(receipt: Receipt, key: SigningKey) -> tuple[Receipt, bytes]:
    """``receipt`` signed, and its full canonical bytes (what :func:`receipt_bytes` returns)."""
    if receipt.key_id != key.key_id:
        raise ReceiptError(f"receipt names key {receipt.key_id} but is signed with {key.key_id}")
    payload = signing_bytes(receipt)
    signature = base64.b64encode(key.sign(payload)).decode("ascii")
    return msgspec.structs.replace(receipt, signature=signature), _with_signature(
        payload, signature
    )


def sign_receipt(receipt: Receipt, key: SigningKey) -> Receipt:
    """``receipt`` with its signature set. Its ``key_id`` must be ``key``'s."""
    return sign_receipt_with_bytes(receipt, key)[0]


def shape_problems(receipt: Receipt) -> list[str]:
    """What is malformed in a decoded receipt's fields (empty when nothing is)."""
    problems = []
    if receipt.v != RECEIPT_VERSION:
        problems.append(f"unsupported receipt version {receipt.v}")
    if not is_safe_receipt_id(receipt.receipt_id):
        problems.append(f"receipt_id {receipt.receipt_id!r} is malformed")
    if _TIMESTAMP.fullmatch(receipt.timestamp) is None:
        problems.append(f"timestamp {receipt.timestamp!r} is not YYYY-MM-DDTHH:MM:SS.ffffffZ")
    if _HEX64.fullmatch(receipt.event_hash) is None:
        problems.append("event_hash is not 64 lower-case hex digits")
    if receipt.prev_receipt_hash and _HEX64.fullmatch(receipt.prev_receipt_hash) is None:
        problems.append("prev_receipt_hash is neither empty nor 64 lower-case hex digits")
    if KEY_ID_PATTERN.fullmatch(receipt.key_id) is None:
        problems.append(f"key_id {receipt.key_id!r} is not ed25519:<16 hex digits>")
    if not math.isfinite(receipt.evaluation_time_ms):
        problems.append("evaluation_time_ms is not a finite number")
    if decode_signature(receipt.signature) is None:
        problems.append("signature is not base64 of 64 bytes")
    if receipt.escalation_of and not is_safe_receipt_id(receipt.escalation_of):
        problems.append(f"escalation_of {receipt.escalation_of!r} is malformed")
    return problems


def decode_signature(text: str) -> bytes | None:
    try:
        raw = base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError):
        return None
    return raw if len(raw) == _SIGNATURE_BYTES else None


class Verification(NamedTuple):
    ok: bool
    reason: str


def verify_receipt(receipt: Receipt, keyring: Keyring) -> Verification:
    """Check shape and signature. ``reason`` says what failed, or names the key on success."""
    try:
        return verify_receipt_with_hash(receipt, keyring)[0]
    except VectimusError as exc:
        return Verification(False, str(exc))


def verify_receipt_with_hash(receipt: Receipt, keyring: Keyring) -> tuple[Verification, str]:
    """:func:`verify_receipt`, and the receipt's :func:`receipt_hash` from the same
    canonicalisation. Raises :class:`CanonicalisationError` only for a value with no canonical
    form (which no decoded JSON has but an over-large integer)."""
    problems = shape_problems(receipt)
    if problems:
        return Verification(False, "; ".join(problems)), receipt_hash(receipt)
    signature = decode_signature(receipt.signature)
    assert signature is not None  # noqa: S101 - shape_problems checked it
    payload = signing_bytes(receipt)
    digest = sha256_hex(_with_signature(payload, receipt.signature))
    try:
        valid = keyring.verify(receipt.key_id, signature, payload)
    except KeyFileError as exc:
        return Verification(False, str(exc)), digest
    if not valid:
        return Verification(False, f"bad signature for {receipt.key_id}: content changed"), digest
    return Verification(True, f"signature valid ({receipt.key_id})"), digest


def decode_receipt(data: bytes | str, *, origin: str = "input") -> Receipt:
    """Parse one receipt; :class:`ReceiptFormatError` names ``origin`` and the problem."""
    try:
        return msgspec.json.decode(data, type=Receipt)
    except msgspec.ValidationError as exc:
        raise ReceiptFormatError(f"{origin}: not a receipt: {exc}") from None
    except DECODE_ERRORS as exc:
        raise ReceiptFormatError(f"{origin}: not valid JSON: {exc}") from None


def encode_receipt(receipt: Receipt) -> bytes:
    """File bytes of a receipt: its canonical JSON and a newline."""
    return receipt_bytes(receipt) + b"\n"


# --- signing with a chain head -------------------------------------------------------------

T = TypeVar("T")


class ChainHead(msgspec.Struct, frozen=True, kw_only=True):
    """The last receipt signed into a chain (empty for a chain not started)."""

    receipt_hash: str = GENESIS_PREV
    timestamp: str = ""
    receipt_id: str = ""


class HeadStore(Protocol):
    """Keeps one :class:`ChainHead` per key id and advances it atomically."""

    def advance(self, key_id: str, step: Callable[[ChainHead], tuple[T, ChainHead]]) -> T:
        """Run ``step`` on the current head while holding the lock; store the head it returns."""
        ...


class MemoryHeadStore:
    """Chain heads in memory, for one process (tests, benchmarks, a long-running server that
    owns its receipt directory alone). Thread-safe."""

    def __init__(self) -> None:
        self.heads: dict[str, ChainHead] = {}
        self._lock = threading.Lock()

    def advance(self, key_id: str, step: Callable[[ChainHead], tuple[T, ChainHead]]) -> T:
        with self._lock:
            result, head = step(self.heads.get(key_id, ChainHead()))
            self.heads[key_id] = head
            return result


def _utc_now() -> datetime:
    return datetime.now(UTC)


class ReceiptSigner:
    """Signs decisions into a per-key hash chain. Construct once per process.

    ``sign`` is pure apart from reading the clock and advancing the head store, which holds
    its lock across choosing the predecessor, the timestamp and the signature, so concurrent
    signers (threads or processes sharing a file head store) never fork the chain.
    With ``redact_reason`` (the default) secrets in the decision reason are masked before
    signing, as in the audit log: a reason may quote the command.
    """

    def __init__(
        self,
        key: SigningKey,
        heads: HeadStore,
        *,
        clock: Callable[[], datetime] = _utc_now,
        redact_reason: bool = True,
    ) -> None:
        self.key = key
        self.heads = heads
        self._clock = clock
        self._redact: Callable[[str], str] | None = None
        if redact_reason:
            from vectimus.core.audit.redact import redact_reason as redact  # noqa: PLC0415

            self._redact = redact

    @property
    def key_id(self) -> str:
        return self.key.key_id

    def sign(
        self,
        event: Event,
        decision: Decision,
        *,
        policy_set_hash: str,
        pack_versions: dict[str, str],
        source: str,
        principal: str,
    ) -> Receipt:
        reason = decision.reason if self._redact is None else self._redact(decision.reason)
        # Everything that does not depend on the chain head is done before taking its lock.
        draft = build_receipt(
            event,
            decision,
            policy_set_hash=policy_set_hash,
            pack_versions=pack_versions,
            source=source,
            principal=principal,
            key_id=self.key.key_id,
            prev_receipt_hash=GENESIS_PREV,
            timestamp="",
            reason=reason,
        )

        def step(head: ChainHead) -> tuple[Receipt, ChainHead]:
            timestamp = max(format_timestamp(self._clock()), head.timestamp)
            unsigned = msgspec.structs.replace(
                draft, prev_receipt_hash=head.receipt_hash, timestamp=timestamp
            )
            signed, canonical = sign_receipt_with_bytes(unsigned, self.key)
            new_head = ChainHead(
                receipt_hash=sha256_hex(canonical),
                timestamp=timestamp,
                receipt_id=signed.receipt_id,
            )
            return signed, new_head

        return self.heads.advance(self.key.key_id, step)
