"""The audit record: one JSON line per decision. The one definition, shared by writer and reader."""

from __future__ import annotations

import msgspec

from vectimus.core.events import Decision, Event

AUDIT_RECORD_VERSION = 1


class ContentDigest(msgspec.Struct, frozen=True, kw_only=True):
    """Stands in for file or script content, which is never written raw."""

    sha256: str
    """Hex SHA-256 of the content's UTF-8 bytes."""
    length: int
    """Length of the content in UTF-8 bytes."""


class Redaction(msgspec.Struct, frozen=True, kw_only=True):
    """What was masked: in which field (dotted path), which kind of secret, how many times."""

    field: str
    kind: str
    count: int = 1


class AuditRecord(msgspec.Struct, frozen=True, kw_only=True):
    """One decision as the audit log keeps it.

    ``event`` is the redacted event: secrets in its strings are replaced by
    ``[REDACTED:<kind>]``, and ``action.file_content`` / ``action.script_content`` are null,
    with their digests in ``content`` under the same names. ``redactions`` lists every mask.
    """

    v: int = AUDIT_RECORD_VERSION
    recorded_at: str
    """UTC ISO 8601 with microseconds and ``Z``."""
    receipt_id: str
    caller: str
    """The principal (local mode) or the API key's name (server mode)."""
    policy_set_hash: str = ""
    decision: Decision
    event: Event
    content: dict[str, ContentDigest] = msgspec.field(default_factory=dict)
    redactions: tuple[Redaction, ...] = ()
