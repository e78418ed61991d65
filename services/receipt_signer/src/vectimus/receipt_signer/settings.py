"""The receipt-signer's configuration: the worker's, plus the key and the journal."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from pydantic import Field

from vectimus.core.bus.settings import EnvParser, WorkerSettings, text
from vectimus.core.paths import vectimus_home


class ReceiptSignerSettings(WorkerSettings):
    gather_ms: int = Field(default=20, ge=0, le=1000)
    """Its records trail the answers, so a few milliseconds buy one fsync per batch."""
    key_file: Path | None = None
    """PEM Ed25519 private key (VECTIMUS_SIGNING_KEY); default: <VECTIMUS_HOME>/signing-key.pem,
    made on first start."""
    journal_dir: Path | None = None
    """The signed-receipt journal and chain heads (VECTIMUS_SIGNER_JOURNAL);
    default <VECTIMUS_HOME>/signer."""
    journal_file_mb: float = Field(default=16.0, gt=0)
    journal_files: int = Field(default=2, ge=1)

    ENVIRONMENT: ClassVar[dict[str, tuple[str, EnvParser]]] = {
        **WorkerSettings.ENVIRONMENT,
        "VECTIMUS_SIGNING_KEY": ("key_file", text),
        "VECTIMUS_SIGNER_JOURNAL": ("journal_dir", text),
    }

    def resolved_journal_dir(self) -> Path:
        return self.journal_dir if self.journal_dir is not None else vectimus_home() / "signer"
