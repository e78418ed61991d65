"""Shared fixtures: every test runs with its own VECTIMUS_HOME, never the real one."""

from __future__ import annotations

from pathlib import Path

import pytest

# A local HTTP server with ETags, for bundle_url polling.
from tests.bundle_server import bundle_server  # noqa: F401

# Real Redis for the integration tests (REDIS_URL, own redis-server, or testcontainers).
from tests.redis_server import own_redis, redis_session, redis_url  # noqa: F401

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
        "VECTIMUS_API_KEY",
    ):
        monkeypatch.delenv(name, raising=False)
    # Hook calls evaluate inline unless a test starts its own daemon (tests/integration/client)
    # on its own socket: a test must never leave a daemon behind, or talk to the user's.
    monkeypatch.setenv("VECTIMUS_DAEMON", "0")
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(home / "run"))
    return home
