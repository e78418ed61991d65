"""The ``[audit]`` config section, composed by the config loader."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from vectimus.core.audit.redact import compile_custom_pattern
from vectimus.core.paths import vectimus_home

FsyncPolicy = Literal["always", "batch", "never"]


class AuditSettings(BaseModel):
    """``[audit]``: where the JSONL audit log goes, how it rotates, syncs and redacts."""

    model_config = ConfigDict(extra="forbid")

    log_dir: Path | None = None
    """Directory of the log files; default ``<vectimus_home()>/logs``. ``~`` is expanded."""
    max_file_size_mb: float = Field(default=10.0, gt=0)
    """Rotate when the next record would take the active file past this size (MiB)."""
    retention_days: int = Field(default=30, ge=1)
    """Rotated files last modified more than this many days ago are deleted."""
    redact_patterns: list[str] = Field(default_factory=list)
    """Extra regexes whose matches are masked (or only their ``secret`` group)."""
    fsync: FsyncPolicy = "batch"
    """``always``: after every record; ``batch``: every ``fsync_batch_records`` records or
    when ``fsync_batch_ms`` have passed since the last sync (checked on each append), and on
    close; ``never``: leave it to the OS."""
    fsync_batch_records: int = Field(default=100, ge=1)
    fsync_batch_ms: float = Field(default=1000.0, ge=0)

    @field_validator("redact_patterns")
    @classmethod
    def _patterns_compile(cls, patterns: list[str]) -> list[str]:
        for index, source in enumerate(patterns):
            compile_custom_pattern(source, index=index)  # raises ValueError naming it
        return patterns

    def resolved_log_dir(self) -> Path:
        if self.log_dir is None:
            return vectimus_home() / "logs"
        return self.log_dir.expanduser()

    @property
    def max_file_bytes(self) -> int:
        return max(1, int(self.max_file_size_mb * 1024 * 1024))
