"""The hook's fast path imports no heavy module: watched with `python -X importtime`.

Whether the daemon or a gateway answers, the shim must not load json (re), socket, typing,
pathlib, subprocess, argparse, tomllib, msgspec, pydantic, cedarpy, tree-sitter or Litestar:
each of those costs milliseconds on every tool call an agent makes.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from tests.integration.client.conftest import RM_ROOT, VECTIMUS, FakeGateway

FORBIDDEN = {
    "json",
    "re",
    "typing",
    "pathlib",
    "socket",
    "subprocess",
    "argparse",
    "tomllib",
    "ssl",
    "http",
    "msgspec",
    "pydantic",
    "cedarpy",
    "tree_sitter",
    "tree_sitter_bash",
    "litestar",
    "cryptography",
    "vectimus.core.events",
    "vectimus.cli.answer",
}


def imported(
    env: dict[str, str] | None = None,
) -> tuple[set[str], subprocess.CompletedProcess[bytes]]:
    done = subprocess.run(
        [sys.executable, "-X", "importtime", VECTIMUS, "hook", "--source", "claude-code"],
        input=json.dumps(RM_ROOT).encode(),
        capture_output=True,
        env={**os.environ, **(env or {})},
        timeout=60,
        check=False,
    )
    names = {
        line.rsplit("|", 1)[1].strip()
        for line in done.stderr.decode().splitlines()
        if line.startswith("import time:") and "|" in line
    }
    return {name.split(".")[0] if not name.startswith("vectimus") else name for name in names}, done


def test_through_the_daemon(daemon: dict[str, Any]) -> None:
    names, done = imported()
    assert b'"permissionDecision": "deny"' in done.stdout
    assert not names & FORBIDDEN, sorted(names & FORBIDDEN)
    assert "vectimus.client.local" in names  # it did take the daemon path


def test_through_a_gateway(gateway: FakeGateway, runtime_dir: Path) -> None:
    env = {"VECTIMUS_SERVER_URL": gateway.url, "VECTIMUS_DAEMON": "0"}
    imported(env)  # the first call in a directory runs git (subprocess) and caches its facts
    names, done = imported(env)
    assert b"GATEWAY" in done.stdout
    assert not names & FORBIDDEN, sorted(names & FORBIDDEN)
    assert "vectimus.client.gateway" in names


def test_sources_match_the_core() -> None:
    from vectimus.client.shim import SOURCES as SHIM_SOURCES
    from vectimus.core.events import SOURCES

    assert SHIM_SOURCES == SOURCES
