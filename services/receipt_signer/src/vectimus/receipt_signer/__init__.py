"""Vectimus receipt-signer service: decisions in, signed receipts out.

- :mod:`vectimus.receipt_signer.main`: ``run(bus, settings, stop)`` and its wiring.
- :mod:`vectimus.receipt_signer.handler`: ``sign_decision(record, signer, journal)``.
- :mod:`vectimus.receipt_signer.journal`: ``SignedJournal``, the chain heads and the record
  of what was signed.
- :mod:`vectimus.receipt_signer.settings`: ``ReceiptSignerSettings``.
"""
