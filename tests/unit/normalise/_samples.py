"""The sample hook payloads under examples/payloads, shared by the normaliser tests."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from vectimus.core.events import Action

SAMPLES = Path(__file__).resolve().parents[3] / "examples" / "payloads"


def sample_names(source: str) -> list[str]:
    return sorted(path.name for path in (SAMPLES / source).glob("*.json"))


def load(source: str, name: str) -> dict[str, Any]:
    payload = json.loads((SAMPLES / source / name).read_text(encoding="utf-8"))
    assert isinstance(payload, dict)
    return payload


def action_maker(**base_extra: str) -> Callable[..., Action]:
    """Build expected Actions whose extra starts from ``base_extra`` (the payload-level facts)."""

    def make(
        action_type: str, tool: str, extra: dict[str, str | int | bool] | None = None, **fields: Any
    ) -> Action:
        return Action(
            action_type=action_type,  # type: ignore[arg-type]
            raw_tool_name=tool,
            extra={**base_extra, **(extra or {})},
            **fields,
        )

    return make
