"""The daemon answers every sample payload exactly as inline evaluation does.

Both run the same code (vectimus.cli.answer) with a runtime from a different place; this
checks the whole path, bytes and exit status, for every payload in examples/payloads.
"""

from __future__ import annotations

import re
from typing import Any

from tests.conftest import PAYLOADS
from tests.integration.client.conftest import run_hook
from vectimus.client import control
from vectimus.core.events import SOURCES

SAMPLES = sorted(
    (source.name, path)
    for source in PAYLOADS.iterdir()
    if source.is_dir() and source.name in SOURCES
    for path in source.glob("*.json")
)
RECEIPT = re.compile(rb"Receipt: [0-9a-f-]{36}")


def _normalised(stdout: bytes) -> bytes:
    return RECEIPT.sub(b"Receipt: <id>", stdout)


def test_there_are_samples() -> None:
    assert len(SAMPLES) > 50
    assert {source for source, _ in SAMPLES} >= {
        "claude-code",
        "cursor",
        "copilot",
        "gemini-cli",
        "codex",
    }


def test_daemon_and_inline_agree(daemon: dict[str, Any]) -> None:
    """One daemon for every sample (a daemon per sample would spend the time starting up)."""
    differ = []
    for source, path in SAMPLES:
        payload = path.read_bytes()
        inline = run_hook(source, payload, env={"VECTIMUS_DAEMON": "0"})
        warm = run_hook(source, payload)
        assert warm.stdout.count(b"\n") == inline.stdout.count(b"\n") <= 1
        if (warm.returncode, _normalised(warm.stdout)) != (
            inline.returncode,
            _normalised(inline.stdout),
        ):
            differ.append((f"{source}/{path.name}", inline.stdout, warm.stdout))
    assert not differ, differ
    status = control.status()
    assert status is not None and status["requests"] >= len(SAMPLES)
