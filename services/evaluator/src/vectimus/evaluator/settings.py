"""The evaluator's configuration: the worker's, plus which policies and whether to observe."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from pydantic import Field

from vectimus.core.bus.settings import EnvParser, WorkerSettings, flag, text


class EvaluatorSettings(WorkerSettings):
    policy_dir: Path | None = None
    """Replaces the bundled policy packs (VECTIMUS_POLICY_DIR)."""
    observe: bool = False
    """Log decisions and always allow (VECTIMUS_OBSERVE)."""
    reload_interval_s: float = Field(default=5.0, gt=0)
    """How often the policy files are checked for changes."""
    poll_bundle: bool = True
    """Fetch ``[policies] bundle_url`` itself; off in embedded mode, where the gateway does."""

    ENVIRONMENT: ClassVar[dict[str, tuple[str, EnvParser]]] = {
        **WorkerSettings.ENVIRONMENT,
        "VECTIMUS_POLICY_DIR": ("policy_dir", text),
        "VECTIMUS_OBSERVE": ("observe", flag),
    }
