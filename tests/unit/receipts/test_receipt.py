from __future__ import annotations

import hashlib
import json
import multiprocessing
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vectimus.core.events import Action, Context, Decision, Event, Identity, Source
from vectimus.core.receipts.chain import verify_chain
from vectimus.core.receipts.jcs import CanonicalisationError, canonicalize
from vectimus.core.receipts.keys import Keyring, SigningKey, keyring_dir, load_or_create_signing_key
from vectimus.core.receipts.receipt import (
    GENESIS_PREV,
    MemoryHeadStore,
    Receipt,
    ReceiptError,
    ReceiptFormatError,
    ReceiptSigner,
    build_receipt,
    decode_receipt,
    event_bytes,
    event_hash,
    receipt_bytes,
    receipt_hash,
    sign_receipt,
    sign_receipt_with_bytes,
    signing_bytes,
    verify_receipt,
)
from vectimus.core.receipts.store import (
    FileHeadStore,
    ReceiptStore,
    iter_receipts,
    load_receipt_file,
)

SECRET = "ghp_" + "Zq7" * 12


def _sign(signer: ReceiptSigner, ev: Event, dec: Decision) -> Receipt:
    return signer.sign(
        ev,
        dec,
        policy_set_hash="cd" * 32,
        pack_versions={"base": "1.2.0", "owasp": "0.3"},
        source="claude-code",
        principal="alice@example.com",
    )


def test_receipt_contents(
    signer: ReceiptSigner, event: Callable[..., Event], decision: Callable[..., Decision]
) -> None:
    ev, dec = event(), decision()
    receipt = _sign(signer, ev, dec)
    assert receipt.receipt_id == dec.receipt_id
    assert receipt.decision == "deny"
    assert receipt.matched_policy_ids == dec.matched_policy_ids
    assert receipt.evaluation_time_ms == 0.42
    assert receipt.key_id == signer.key_id
    assert receipt.prev_receipt_hash == GENESIS_PREV
    assert receipt.pack_versions == {"base": "1.2.0", "owasp": "0.3"}
    expected = hashlib.sha256(canonicalize(msgspec.to_builtins(ev))).hexdigest()
    assert receipt.event_hash == expected == event_hash(ev)
    assert verify_receipt(receipt, Keyring(keyring_dir())).ok


@pytest.mark.parametrize("elapsed", [0.42, 1.0, 0.1 + 0.2, 1e-7, 123456.789, 0.0, 2.0**53, 5e-324])
def test_signature_survives_a_file_and_json_round_trip(
    tmp_path: Path,
    signer: ReceiptSigner,
    event: Callable[..., Event],
    decision: Callable[..., Decision],
    elapsed: float,
) -> None:
    receipt = _sign(signer, event(), decision(elapsed=elapsed))
    store = ReceiptStore(tmp_path / "r")
    store.write(receipt)
    path = store.path_for(receipt)
    keyring = Keyring(keyring_dir())
    loaded = load_receipt_file(path)
    assert loaded == receipt
    assert verify_receipt(loaded, keyring).ok
    # Re-written by another JSON writer: indented, members reordered.
    data = json.loads(path.read_text())
    path.write_text(json.dumps(dict(reversed(list(data.items()))), indent=2))
    again = load_receipt_file(path)
    assert verify_receipt(again, keyring).ok
    assert receipt_hash(again) == receipt_hash(receipt)


def _changed(value: Any) -> Any:
    if isinstance(value, bool):
        return not value
    if isinstance(value, int):
        return value + 1
    if isinstance(value, float):
        return value + 0.5
    if isinstance(value, str):
        return (value[:-1] + ("0" if value[-1:] != "0" else "1")) if value else "x"
    if isinstance(value, list):
        return [*value, "extra"]
    if isinstance(value, dict):
        return {**value, "extra": "1"}
    raise AssertionError(value)


FIELDS = [f for f in Receipt.__struct_fields__ if f != "signature"]


@pytest.mark.parametrize("field", [*FIELDS, "signature"])
def test_changing_any_field_is_detected(
    tmp_path: Path,
    signer: ReceiptSigner,
    event: Callable[..., Event],
    decision: Callable[..., Decision],
    field: str,
) -> None:
    receipt = _sign(signer, event(), decision())
    store = ReceiptStore(tmp_path / "r")
    store.write(receipt)
    path = store.path_for(receipt)
    data = json.loads(path.read_text())
    if field == "decision":
        data[field] = "allow"
    elif field == "signature":
        raw = bytearray(msgspec.json.decode(json.dumps(data[field]).encode(), type=bytes))
        raw[0] ^= 1
        data[field] = msgspec.json.decode(msgspec.json.encode(bytes(raw)))
    elif field == "prev_receipt_hash":
        data[field] = "0" * 64
    else:
        # A field absent when empty (escalation_of) is added instead: that must show too.
        data[field] = _changed(data.get(field, ""))
    path.write_text(json.dumps(data))
    try:
        tampered = load_receipt_file(path)
    except ReceiptFormatError:
        return  # a change that breaks the shape is detected at decoding
    result = verify_receipt(tampered, Keyring(keyring_dir()))
    assert not result.ok, field
    assert result.reason


def test_added_or_removed_members_are_refused(
    signer: ReceiptSigner, event: Callable[..., Event], decision: Callable[..., Decision]
) -> None:
    data = msgspec.to_builtins(_sign(signer, event(), decision()))
    with pytest.raises(ReceiptFormatError, match="unknown field"):
        decode_receipt(json.dumps({**data, "approved_by": "mallory"}))
    del data["reason"]
    with pytest.raises(ReceiptFormatError, match="reason"):
        decode_receipt(json.dumps(data))
    with pytest.raises(ReceiptFormatError, match="not valid JSON"):
        decode_receipt(b"{not json")


def test_event_hash_is_taken_before_redaction_and_secrets_stay_out(
    tmp_path: Path,
    signer: ReceiptSigner,
    event: Callable[..., Event],
    decision: Callable[..., Decision],
) -> None:
    ev = event(f"git push https://x:{SECRET}@github.com/o/r")
    dec = decision(reason=f"denied: the command embeds token={SECRET}")
    receipt = _sign(signer, ev, dec)
    assert receipt.event_hash == hashlib.sha256(canonicalize(msgspec.to_builtins(ev))).hexdigest()
    assert SECRET not in receipt.reason
    assert "[REDACTED:" in receipt.reason
    store = ReceiptStore(tmp_path / "r")
    store.write(receipt)
    path = store.path_for(receipt)
    assert SECRET.encode() not in path.read_bytes()


def test_reason_can_be_kept_verbatim(
    key: SigningKey, event: Callable[..., Event], decision: Callable[..., Decision]
) -> None:
    signer = ReceiptSigner(key, MemoryHeadStore(), redact_reason=False)
    dec = decision(reason="token=abc")
    assert _sign(signer, event(), dec).reason == "token=abc"


def test_build_refuses_a_decision_without_a_usable_receipt_id(
    key: SigningKey, event: Callable[..., Event], decision: Callable[..., Decision]
) -> None:
    args: dict[str, Any] = {
        "policy_set_hash": "p",
        "pack_versions": {},
        "source": "s",
        "principal": "p",
        "key_id": key.key_id,
        "prev_receipt_hash": "",
        "timestamp": "2026-01-01T00:00:00.000000Z",
    }
    for bad_id in ("", "../../x"):
        dec = msgspec.structs.replace(decision(), receipt_id=bad_id)
        with pytest.raises(ReceiptError):
            build_receipt(event(), dec, **args)
    with pytest.raises(ReceiptError, match="finite"):
        build_receipt(event(), decision(elapsed=float("nan")), **args)
    other = SigningKey.generate()
    with pytest.raises(ReceiptError, match="signed with"):
        sign_receipt(build_receipt(event(), decision(), **args), other)


def test_malformed_fields_fail_verification_with_a_reason(
    signer: ReceiptSigner, event: Callable[..., Event], decision: Callable[..., Decision]
) -> None:
    good = _sign(signer, event(), decision())
    keyring = Keyring(keyring_dir())
    cases = {
        "event_hash": "xyz",
        "timestamp": "yesterday",
        "key_id": "rsa:1",
        "signature": "%%%",
        "receipt_id": "../x",
        "v": 2,
    }
    for field, value in cases.items():
        result = verify_receipt(msgspec.structs.replace(good, **{field: value}), keyring)
        assert not result.ok
        assert field.split("_")[0] in result.reason or "version" in result.reason


def test_unknown_key_fails_verification(
    signer: ReceiptSigner, event: Callable[..., Event], decision: Callable[..., Decision]
) -> None:
    receipt = _sign(signer, event(), decision())
    result = verify_receipt(receipt, Keyring())
    assert not result.ok
    assert "no public key" in result.reason


def test_signature_covers_the_receipt_without_its_signature(
    signer: ReceiptSigner, event: Callable[..., Event], decision: Callable[..., Decision]
) -> None:
    receipt = _sign(signer, event(), decision())
    payload = json.loads(signing_bytes(receipt))
    assert "signature" not in payload
    # escalation_of is present only on a receipt that settles an escalation.
    assert set(payload) == set(FIELDS) - {"escalation_of"}
    approved = msgspec.structs.replace(decision("allow"), escalation_of=receipt.receipt_id)
    settling = _sign(signer, event(), approved)
    assert json.loads(signing_bytes(settling))["escalation_of"] == receipt.receipt_id


def test_chain_links_and_timestamps_never_go_back(
    key: SigningKey, event: Callable[..., Event], decision: Callable[..., Decision]
) -> None:
    start = datetime(2026, 5, 1, tzinfo=UTC)
    readings = iter([start, start - timedelta(hours=1), start + timedelta(seconds=1)])
    signer = ReceiptSigner(key, MemoryHeadStore(), clock=lambda: next(readings))
    first, second, third = (_sign(signer, event(), decision()) for _ in range(3))
    assert first.prev_receipt_hash == ""
    assert second.prev_receipt_hash == receipt_hash(first)
    assert third.prev_receipt_hash == receipt_hash(second)
    assert first.timestamp == second.timestamp < third.timestamp


def test_file_head_store_continues_the_chain_across_signers(
    tmp_path: Path, key: SigningKey, event: Callable[..., Event], decision: Callable[..., Decision]
) -> None:
    store = ReceiptStore(tmp_path / "receipts")
    for _ in range(3):  # each signer stands for one hook process
        signer = ReceiptSigner(key, FileHeadStore.for_receipts_dir(store.root))
        store.write(_sign(signer, event(), decision()))
    report = verify_chain(iter_receipts(store.root), Keyring(keyring_dir()))
    assert report.ok, report.problems
    assert len(report.chains[key.key_id]) == 3


def test_concurrent_processes_never_fork_the_chain(
    tmp_path: Path, key: SigningKey, event: Callable[..., Event], decision: Callable[..., Decision]
) -> None:
    root = tmp_path / "receipts"

    def sign_many(count: int) -> None:  # runs in a forked child: one hook process each
        store = ReceiptStore(root)
        signer = ReceiptSigner(load_or_create_signing_key(), FileHeadStore.for_receipts_dir(root))
        for index in range(count):
            store.write(_sign(signer, event(f"echo {index}"), decision()))

    context = multiprocessing.get_context("fork")
    workers = [context.Process(target=sign_many, args=(40,)) for _ in range(4)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(60)
        assert worker.exitcode == 0
    report = verify_chain(iter_receipts(root), Keyring(keyring_dir()))
    assert report.ok, report.problems[:5]
    assert report.receipts == 160
    assert len(report.chains[key.key_id]) == 160


@given(
    reason=st.text(),
    principal=st.text(),
    pack_versions=st.dictionaries(
        st.sampled_from(["source", "signature", "v", "zz", "a"]), st.text()
    ),
    source=st.text(),
)
@settings(max_examples=200, deadline=None)
def test_spliced_canonical_bytes_equal_a_fresh_canonicalisation(
    reason: str, principal: str, pack_versions: dict[str, str], source: str
) -> None:
    key = SigningKey.generate()
    unsigned = Receipt(
        v=1,
        receipt_id="r1",
        timestamp="2026-01-01T00:00:00.000000Z",
        event_hash="0" * 64,
        decision="deny",
        reason=reason + ',"source":"x"',
        matched_policy_ids=(',"source":',),
        policy_set_hash="p",
        pack_versions=pack_versions,
        evaluation_time_ms=1.5,
        source=source,
        principal=principal,
        key_id=key.key_id,
        prev_receipt_hash="",
        signature="",
    )
    try:
        signed, full = sign_receipt_with_bytes(unsigned, key)
    except CanonicalisationError:
        return  # lone surrogates have no canonical form
    assert full == receipt_bytes(signed)


def test_a_number_without_canonical_form_fails_verification_cleanly(
    signer: ReceiptSigner, event: Callable[..., Event], decision: Callable[..., Decision]
) -> None:
    receipt = msgspec.structs.replace(_sign(signer, event(), decision()), v=2**60 + 1)
    result = verify_receipt(receipt, Keyring(keyring_dir()))
    assert not result.ok
    report = verify_chain([receipt], Keyring(keyring_dir()))
    assert [p.kind for p in report.problems] == ["tampered"]


# --- the typed fast paths: events and receipts encoded without walking them --------------

_TEXT = st.text(max_size=8)
_FACT = st.one_of(
    st.text(max_size=4),
    st.booleans(),
    st.integers(-(2**60), 2**60),
    st.floats(allow_nan=False, allow_infinity=False),
)


def _general(value: Any) -> bytes | None:
    """The general path's bytes (which test_jcs.py holds to the reference serialiser), or
    None where the value has no canonical form."""
    try:
        return canonicalize(value)
    except CanonicalisationError:
        return None


@given(
    command=st.none() | _TEXT,
    principal=_TEXT,
    groups=st.lists(_TEXT, max_size=2),
    extra=st.dictionaries(st.text(max_size=3), _FACT, max_size=3),
)
@settings(max_examples=300, deadline=None)
def test_event_bytes_are_the_reference_serialisers(
    command: str | None, principal: str, groups: list[str], extra: dict[str, Any]
) -> None:
    """Built in Python, an event's facts are not validated: a float or a huge integer in
    ``extra`` takes the general path, and the bytes never differ from the reference."""
    event = Event(
        source=Source(tool="claude-code", session_id="s"),
        identity=Identity(principal=principal, groups=tuple(groups)),
        action=Action(
            action_type="shell_command", raw_tool_name="Bash", command=command, extra=extra
        ),
    )
    expected = _general(msgspec.to_builtins(event))
    if expected is None:
        with pytest.raises(CanonicalisationError):
            event_bytes(event)
        return
    assert event_bytes(event) == expected
    assert event_hash(event) == hashlib.sha256(expected).hexdigest()


@given(
    elapsed=st.floats(allow_nan=False, allow_infinity=False) | st.floats(1e-6, 2e15),
    version=st.sampled_from([1, 2**53 - 1, 2**53 + 1]),
    packs=st.dictionaries(st.text(max_size=3), _TEXT, max_size=3),
    reason=_TEXT,
)
@settings(max_examples=300, deadline=None)
def test_receipt_bytes_are_the_reference_serialisers(
    elapsed: float, version: int, packs: dict[str, str], reason: str
) -> None:
    receipt = Receipt(
        v=version,
        receipt_id="r1",
        timestamp="2026-01-01T00:00:00.000000Z",
        event_hash="0" * 64,
        decision="allow",
        reason=reason,
        matched_policy_ids=("a", reason),
        policy_set_hash="p",
        pack_versions=packs,
        evaluation_time_ms=elapsed,
        source="claude-code",
        principal="alice",
        key_id="ed25519:0123456789abcdef",
        prev_receipt_hash="",
        signature="c2ln",
    )
    full = msgspec.to_builtins(receipt)
    unsigned = dict(full)
    del unsigned["signature"]
    for value, produced in ((full, receipt_bytes), (unsigned, signing_bytes)):
        expected = _general(value)
        if expected is None:
            with pytest.raises(CanonicalisationError):
                produced(receipt)
        else:
            assert produced(receipt) == expected


def _kinds(kind: msgspec.inspect.Type) -> set[str]:
    """The leaf kinds of a field's type, through unions and tuples."""
    if isinstance(kind, msgspec.inspect.UnionType):
        return set().union(*(_kinds(each) for each in kind.types))
    if isinstance(kind, msgspec.inspect.VarTupleType):
        return _kinds(kind.item_type)
    return {type(kind).__name__}


def _fields(struct: type[msgspec.Struct]) -> dict[str, set[str]]:
    info = msgspec.inspect.type_info(struct)
    assert isinstance(info, msgspec.inspect.StructType)
    return {field.name: _kinds(field.type) for field in info.fields}


def test_the_fast_paths_check_every_member_that_can_be_non_canonical() -> None:
    """event_bytes and the receipt's bytes check numbers and keys only where these types
    have them: a new member of another type must be checked there before this test passes."""
    plain = {"StrType", "LiteralType", "NoneType", "BoolType"}
    assert _fields(Event) == {
        "source": {"StructType"},
        "identity": {"StructType"},
        "action": {"StructType"},
        "context": {"StructType"},
    }
    for struct in (Source, Identity, Context):
        assert set().union(*_fields(struct).values()) <= plain
    action = _fields(Action)
    assert action.pop("extra") == {"DictType"}  # checked: keys and integers
    assert set().union(*action.values()) <= plain
    receipt = _fields(Receipt)
    assert receipt.pop("v") == {"IntType"}  # checked
    assert receipt.pop("evaluation_time_ms") == {"FloatType"}  # checked
    assert receipt.pop("pack_versions") == {"DictType"}  # checked: keys
    assert set().union(*receipt.values()) <= plain
