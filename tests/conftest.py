"""Shared fixtures: every test runs with its own VECTIMUS_HOME, never the real one."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
POLICIES = REPO / "policies"
PAYLOADS = REPO / "examples" / "payloads"


@pytest.fixture(autouse=True)
def vectimus_home(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Path:
    home = tmp_path_factory.mktemp("vectimus-home")
    monkeypatch.setenv("VECTIMUS_HOME", str(home))
    for name in (
        "VECTIMUS_OBSERVE",
        "VECTIMUS_POLICY_DIR",
        "VECTIMUS_CONTENT_MAX_LINES",
        "VECTIMUS_MCP_ALLOWED",
        "VECTIMUS_RECEIPTS_ENABLED",
        "VECTIMUS_AUDIT_DIR",
        "VECTIMUS_PRINCIPAL",
        "VECTIMUS_SERVER_URL",
    ):
        monkeypatch.delenv(name, raising=False)
    return home
