"""The ``[receipts]`` config section. The config loader composes this model and applies
``VECTIMUS_RECEIPTS_ENABLED`` (see :func:`enabled_from_env`)."""

from __future__ import annotations

from collections.abc import Mapping

from pydantic import BaseModel, ConfigDict, Field

ENABLED_ENV = "VECTIMUS_RECEIPTS_ENABLED"
_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"0", "false", "no", "off"})


class ReceiptSettings(BaseModel):
    """``[receipts]``: whether decisions are signed and stored, and for how long."""

    model_config = ConfigDict(extra="forbid")

    enabled: bool = True
    """Sign every decision and store the receipt in ``<project>/.vectimus/receipts``."""
    retention_days: int = Field(default=7, ge=0)
    """Date directories more than this many days old are pruned (0 keeps only today)."""


def enabled_from_env(environ: Mapping[str, str]) -> bool | None:
    """``VECTIMUS_RECEIPTS_ENABLED`` as a bool; None when unset. Raises ValueError (naming
    the variable) for a value that is not a recognised boolean."""
    raw = environ.get(ENABLED_ENV)
    if raw is None or raw.strip() == "":
        return None
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ValueError(f"{ENABLED_ENV}={raw!r} is not a boolean (use true or false)")
