"""The audit-sink's configuration: the worker's, plus where receipts and the audit log go.

The ``[audit]`` section of the user config (rotation, fsync, extra redaction patterns)
applies as in local mode; ``audit_dir`` replaces its ``log_dir``.
"""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from pydantic import Field

from vectimus.core.bus.settings import EnvParser, WorkerSettings, text
from vectimus.core.paths import vectimus_home


class AuditSinkSettings(WorkerSettings):
    gather_ms: int = Field(default=20, ge=0, le=1000)
    """Its records trail the answers, so a few milliseconds buy one fsync per batch."""
    audit_dir: Path | None = None
    """The audit log directory (VECTIMUS_AUDIT_DIR); default [audit] log_dir, else
    <VECTIMUS_HOME>/logs."""
    receipts_dir: Path | None = None
    """Where receipt files are stored (VECTIMUS_RECEIPTS_DIR); default <VECTIMUS_HOME>/receipts."""

    ENVIRONMENT: ClassVar[dict[str, tuple[str, EnvParser]]] = {
        **WorkerSettings.ENVIRONMENT,
        "VECTIMUS_AUDIT_DIR": ("audit_dir", text),
        "VECTIMUS_RECEIPTS_DIR": ("receipts_dir", text),
    }

    def resolved_receipts_dir(self) -> Path:
        return self.receipts_dir if self.receipts_dir is not None else vectimus_home() / "receipts"
