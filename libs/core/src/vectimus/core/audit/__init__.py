"""The audit log: redacted JSONL records of every decision, rotated by size, kept by age."""

from vectimus.core.audit.reader import LineProblem, RecordFilter, log_files, parse_when, query, tail
from vectimus.core.audit.record import AuditRecord, ContentDigest, Redaction
from vectimus.core.audit.redact import RedactPatternError, redact_event, redact_text
from vectimus.core.audit.settings import AuditSettings
from vectimus.core.audit.writer import AuditLog, AuditWriteError

__all__ = [
    "AuditLog",
    "AuditRecord",
    "AuditSettings",
    "AuditWriteError",
    "ContentDigest",
    "LineProblem",
    "RecordFilter",
    "RedactPatternError",
    "Redaction",
    "log_files",
    "parse_when",
    "query",
    "redact_event",
    "redact_text",
    "tail",
]
