"""Vectimus audit-sink service: signed receipts in; receipt files, audit records, events out.

- :mod:`vectimus.audit_sink.main`: ``run(bus, settings, stop)`` and its wiring.
- :mod:`vectimus.audit_sink.handler`: ``event_record(receipt_record, recorded_at, patterns)``.
- :mod:`vectimus.audit_sink.index`: ``AuditIndex``, the receipt ids the log holds.
- :mod:`vectimus.audit_sink.settings`: ``AuditSinkSettings``.
"""
