"""Stream names and the messages on them: one msgspec definition each, msgpack on the wire.

    gateway ──EvalRequest──► vectimus:eval ──► evaluator xN (group "evaluators")
    evaluator ──EvalReply──► vectimus:reply:<gateway id>  (one reader task per gateway)
    evaluator ──DecisionRecord──► vectimus:decisions ──► receipt-signer (group "signers")
    signer ──ReceiptRecord──► vectimus:receipts ──► audit-sink (group "audit")
    audit-sink ──EventRecord──► vectimus:events ──► every gateway's SSE /events (no group)
    any worker ──DeadLetter──► vectimus:dead  (entries that could not be handled)
    gateway, evaluators ──PolicyNotice──► vectimus:policy ──► every gateway and evaluator

docs/streams.md documents trimming bounds and delivery guarantees.
"""

from __future__ import annotations

from typing import Any, TypeVar

import msgspec

from vectimus.core.events import Decision, Event
from vectimus.core.receipts.receipt import Receipt

EVAL_STREAM = "vectimus:eval"
DECISIONS_STREAM = "vectimus:decisions"
RECEIPTS_STREAM = "vectimus:receipts"
EVENTS_STREAM = "vectimus:events"
REPLY_STREAM_PREFIX = "vectimus:reply:"
DEAD_STREAM = "vectimus:dead"
POLICY_STREAM = "vectimus:policy"
HEARTBEAT_PREFIX = "vectimus:alive:"

EVALUATOR_GROUP = "evaluators"
SIGNER_GROUP = "signers"
AUDIT_GROUP = "audit"

# Trimming bounds (XADD MAXLEN ~); docs/streams.md says why each is what it is. Workers delete
# the entries they acknowledge on the eval, decisions and receipts streams, so those hold only
# unfinished work and their bound matters only while a consumer is down: trimming does not
# look at consumer groups, and entries past the bound are dropped unread.
STREAM_MAXLEN: dict[str, int] = {
    EVAL_STREAM: 100_000,
    DECISIONS_STREAM: 1_000_000,
    RECEIPTS_STREAM: 1_000_000,
    EVENTS_STREAM: 100_000,
    DEAD_STREAM: 100_000,
    POLICY_STREAM: 1_000,
}
REPLY_STREAM_MAXLEN = 10_000


def maxlen_for(stream: str) -> int | None:
    """The trimming bound of ``stream`` (reply streams share one bound)."""
    if stream.startswith(REPLY_STREAM_PREFIX):
        return REPLY_STREAM_MAXLEN
    return STREAM_MAXLEN.get(stream)


class EvalRequest(msgspec.Struct, frozen=True, kw_only=True):
    """A raw hook payload the gateway wants decided."""

    v: int = 1
    request_id: str
    reply_to: str
    source: str
    payload: bytes
    caller: str = ""
    # Facts the client shim adds (repository, branch, script content): evaluated like any input.
    enrichment: dict[str, str] = msgspec.field(default_factory=dict)
    deadline_ms: int = 0
    # Fixed by the gateway, so that an evaluator's decision and the gateway's own in-process
    # one (after the deadline) are one receipt, signed and audited once. Empty: the
    # evaluator derives one from the request and entry ids.
    receipt_id: str = ""


class EvalReply(msgspec.Struct, frozen=True, kw_only=True):
    v: int = 1
    request_id: str
    decision: Decision
    policy_set_hash: str = ""
    evaluator: str = ""


class DecisionRecord(msgspec.Struct, frozen=True, kw_only=True):
    """A decision on its way to be signed. The event is unredacted: its hash is signed."""

    v: int = 1
    request_id: str
    event: Event
    decision: Decision
    caller: str = ""
    policy_set_hash: str = ""
    pack_versions: dict[str, str] = msgspec.field(default_factory=dict)
    degraded: bool = False


class ReceiptRecord(msgspec.Struct, frozen=True, kw_only=True):
    """A signed receipt on its way to the audit sink (which redacts the event)."""

    v: int = 1
    request_id: str
    receipt: Receipt
    event: Event
    decision: Decision
    caller: str = ""
    policy_set_hash: str = ""
    degraded: bool = False


class EventRecord(msgspec.Struct, frozen=True, kw_only=True):
    """What dashboards see on SSE /events: redacted, small, one per decision."""

    v: int = 1
    receipt_id: str
    recorded_at: str
    source: str
    principal: str
    caller: str
    action_type: str
    summary: str
    decision: str
    matched_policy_ids: tuple[str, ...] = ()
    degraded: bool = False
    # An approval's or timeout's event: the receipt id of the escalation it settles.
    escalation_of: str = ""


class PolicyNotice(msgspec.Struct, frozen=True, kw_only=True):
    """A policy set went into force in one process: a gateway's is the version the others
    move to, an evaluator's the acknowledgement of its swap (docs/bundles.md)."""

    v: int = 1
    kind: str
    """``version`` (a gateway) or ``ack`` (an evaluator)."""
    policy_set_hash: str
    source: str = ""
    """The bundle's origin, or the policy directory."""
    signer: str = ""
    service: str
    instance: str
    at_ms: int


class DeadLetter(msgspec.Struct, frozen=True, kw_only=True):
    """An entry a worker gave up on: undecodable, or failing more than N deliveries.

    ``payload`` is the entry as it was read (it may hold an unredacted hook payload: the dead
    stream is for operators, like the stream it came from)."""

    v: int = 1
    stream: str
    group: str
    entry_id: str
    payload: bytes
    error: str
    deliveries: int
    service: str
    consumer: str
    at_ms: int
    request_id: str = ""
    receipt_id: str = ""


_encoder = msgspec.msgpack.Encoder()
T = TypeVar("T")


def encode(message: Any) -> bytes:
    return _encoder.encode(message)


def decode(data: bytes, kind: type[T]) -> T:
    """Decode a message; raises msgspec.DecodeError/ValidationError on a malformed one."""
    return msgspec.msgpack.decode(data, type=kind)
