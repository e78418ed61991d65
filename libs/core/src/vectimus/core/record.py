"""Leave the trail of each decision: a signed receipt and a redacted audit record.

Runs after the answer is given (the hook forks it off), so signing and file writes never
delay the agent tool. Imports cryptography and pydantic freely: it is off the hot path.
"""

from __future__ import annotations

from pathlib import Path

from vectimus.core.audit import AuditLog, AuditSettings
from vectimus.core.events import Action, Decision, Event, Identity, Source
from vectimus.core.paths import vectimus_home
from vectimus.core.receipts import (
    FileHeadStore,
    ReceiptSigner,
    ReceiptStore,
    SigningKey,
    load_or_create_signing_key,
)
from vectimus.core.receipts.store import receipts_dir
from vectimus.core.snapshot import Snapshot


def unparsed_event(source: str, raw: bytes, identity: Identity) -> Event:
    """An Event standing for a payload that could not be normalised, so it is audited too."""
    text = raw[:4096].decode("utf-8", errors="replace")
    action = Action(action_type="shell_command", raw_tool_name="(unparsed payload)", command=text)
    return Event(source=Source(tool=source), identity=identity, action=action)


class Recorder:
    """Signs and stores receipts and appends audit records for one process."""

    def __init__(self, snapshot: Snapshot | None) -> None:
        self.snapshot = snapshot
        settings = AuditSettings.model_validate(snapshot.audit) if snapshot else AuditSettings()
        self.audit = AuditLog(settings)
        self._key: SigningKey | None = None
        self._store: ReceiptStore | None = None
        self._signer: ReceiptSigner | None = None

    def _receipts(self) -> tuple[SigningKey, ReceiptStore, ReceiptSigner]:
        if self._key is None or self._store is None or self._signer is None:
            root = self.snapshot.project_root if self.snapshot else ""
            directory = receipts_dir(Path(root)) if root else vectimus_home() / "receipts"
            self._key = load_or_create_signing_key()
            self._store = ReceiptStore(directory)
            self._signer = ReceiptSigner(self._key, FileHeadStore.for_receipts_dir(directory))
        return self._key, self._store, self._signer

    def record(self, event: Event, decision: Decision, *, caller: str = "") -> None:
        snapshot = self.snapshot
        policy_hash = snapshot.compiled.policy_set_hash if snapshot else ""
        if snapshot is None or snapshot.receipts_enabled:
            _, store, signer = self._receipts()
            receipt = signer.sign(
                event,
                decision,
                policy_set_hash=policy_hash,
                pack_versions=dict(snapshot.compiled.packs) if snapshot else {},
                source=event.source.tool,
                principal=event.identity.principal,
            )
            store.write(receipt)
        record = self.audit.record(
            event,
            decision,
            receipt_id=decision.receipt_id,
            caller=caller or event.identity.principal,
            policy_set_hash=policy_hash,
        )
        self.audit.write(record)

    def close(self) -> None:
        """Flush the audit log and apply receipt and audit retention."""
        self.audit.close()
        self.audit.apply_retention()
        if self.snapshot is not None and self.snapshot.receipts_enabled and self._store:
            key, store, _ = self._receipts()
            store.prune_if_due(retention_days=self.snapshot.receipts_retention_days, key=key)
