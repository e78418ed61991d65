"""The ``[receipts]`` config section. The config loader composes this model and applies
``VECTIMUS_RECEIPTS_ENABLED``."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class ReceiptSettings(BaseModel):
    """``[receipts]``: whether decisions are signed and stored, and for how long."""

    model_config = ConfigDict(extra="forbid")

    enabled: bool = True
    """Sign every decision and store the receipt in ``<project>/.vectimus/receipts``."""
    retention_days: int = Field(default=7, ge=0)
    """Date directories more than this many days old are pruned (0 keeps only today)."""
