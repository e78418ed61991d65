"""The receipt verifier on hostile input: a verdict, never an exception, never a false "ok".

A receipt file is evidence: whoever holds it may have edited it. Any bytes decode to a
receipt or to a ReceiptFormatError naming the problem; any decoded receipt, and any list of
them as a chain, verifies to a report. A signed receipt with bytes flipped, inserted or
removed only verifies if it still decodes to exactly the receipt that was signed.
"""

from __future__ import annotations

from datetime import UTC, datetime

import msgspec
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.fuzz.hostile import FUZZ, hostile_text
from tests.fuzz.scaling import assert_linear
from vectimus.core.events import Action, Decision, Event, Identity, Source
from vectimus.core.receipts.chain import verify_chain
from vectimus.core.receipts.ids import new_receipt_id
from vectimus.core.receipts.keys import Keyring, SigningKey, load_or_create_signing_key
from vectimus.core.receipts.receipt import (
    Receipt,
    ReceiptFormatError,
    build_receipt,
    decode_receipt,
    encode_receipt,
    format_timestamp,
    receipt_hash,
    sign_receipt,
    verify_receipt,
)

_CHAIN_FIELDS = ["prev_receipt_hash", "reason", "timestamp", "receipt_id", "signature"]


@pytest.fixture(scope="module")
def key(tmp_path_factory: pytest.TempPathFactory) -> SigningKey:
    return load_or_create_signing_key(tmp_path_factory.mktemp("keys"))


def _signed(key: SigningKey, reason: str = "blocked", prev: str = "") -> Receipt:
    event = Event(
        source=Source(tool="claude-code"),
        identity=Identity(),
        action=Action(action_type="shell_command", raw_tool_name="Bash", command="rm -rf /"),
    )
    decision = Decision(
        decision="deny", reason=reason, action_type="shell_command", receipt_id=new_receipt_id()
    )
    receipt = build_receipt(
        event,
        decision,
        policy_set_hash="0" * 64,
        pack_versions={"destructive-ops": "0.3.0"},
        source="claude-code",
        principal="dev",
        key_id=key.key_id,
        prev_receipt_hash=prev,
        timestamp=format_timestamp(datetime.now(UTC)),
    )
    return sign_receipt(receipt, key)


def _check(data: bytes, keyring: Keyring) -> Receipt | None:
    try:
        receipt = decode_receipt(data, origin="fuzz")
    except ReceiptFormatError as exc:
        assert "fuzz" in str(exc)
        return None
    verification = verify_receipt(receipt, keyring)
    assert isinstance(verification.ok, bool)
    assert verification.reason
    return receipt if verification.ok else None


@FUZZ
@given(st.binary(max_size=600))
def test_any_bytes(key: SigningKey, data: bytes) -> None:
    _check(data, Keyring(keys=(key.public_key,)))


@FUZZ
@given(st.data())
def test_edited_receipts_never_verify(key: SigningKey, data: st.DataObject) -> None:
    original = _signed(key)
    raw = bytearray(encode_receipt(original))
    for _ in range(data.draw(st.integers(1, 4))):
        at = data.draw(st.integers(0, len(raw) - 1))
        edit = data.draw(st.sampled_from(["flip", "insert", "delete"]))
        if edit == "flip":
            raw[at] ^= data.draw(st.integers(1, 255))
        elif edit == "insert":
            raw[at:at] = data.draw(st.binary(min_size=1, max_size=8))
        else:
            del raw[at]
    verified = _check(bytes(raw), Keyring(keys=(key.public_key,)))
    assert verified is None or verified == original


@FUZZ
@given(
    st.builds(
        dict,
        receipt_id=hostile_text,
        timestamp=hostile_text,
        event_hash=hostile_text,
        key_id=hostile_text,
        prev_receipt_hash=hostile_text,
        signature=hostile_text,
        escalation_of=hostile_text,
        evaluation_time_ms=st.floats(),
        v=st.integers(),
    )
)
def test_any_field_values(key: SigningKey, fields: dict[str, object]) -> None:
    good = _signed(key)
    base = {name: getattr(good, name) for name in good.__struct_fields__}
    receipt = Receipt(**{**base, **fields})  # type: ignore[arg-type]
    verification = verify_receipt(receipt, Keyring(keys=(key.public_key,)))
    assert verification.ok is (receipt == good)


@pytest.fixture(scope="module")
def pool(key: SigningKey) -> list[Receipt]:
    receipts = [_signed(key)]
    for _ in range(4):
        receipts.append(_signed(key, prev=receipt_hash(receipts[-1])))
    return receipts


@FUZZ
@given(
    st.lists(st.integers(0, 4), max_size=8),
    st.lists(
        st.tuples(st.integers(0, 4), st.sampled_from(_CHAIN_FIELDS), hostile_text), max_size=3
    ),
)
def test_any_chain(
    key: SigningKey,
    pool: list[Receipt],
    order: list[int],
    edits: list[tuple[int, str, str]],
) -> None:
    """Receipts in any order, repeated, missing, or with a field changed after signing."""
    chain = [pool[index] for index in order]
    edited = [msgspec.structs.replace(pool[i], **{name: value}) for i, name, value in edits]
    chain += edited
    report = verify_chain(chain, Keyring(keys=(key.public_key,)))
    assert report.receipts == len(chain)
    if any(receipt not in pool for receipt in edited):
        assert report.problems


def test_verification_is_linear(key: SigningKey) -> None:
    keyring = Keyring(keys=(key.public_key,))
    assert_linear(
        lambda data: _check(data, keyring),
        lambda n: encode_receipt(_signed(key, reason="x" * (1000 * n))),
        50,
        label="reason size",
    )
