"""/dashboard in a real browser: Debian's Chromium, driven by playwright-core from Node.

pytest starts a real gateway (granian, embedded); ``dashboard.mjs`` loads the page through a
proxy it controls, sends evaluations, checks rows, counters, filters and the reconnection
after a cut, audits labels and contrast, measures the transfer and takes a screenshot into
bench/results/. It prints one JSON report. Without Chromium or Node this test is skipped,
saying why; under CI=true it fails instead (``.ci/run`` installs Chromium).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import REPO
from tests.integration.gateway.conftest import KEY, Gateway, start_gateway

pytestmark = [pytest.mark.integration, pytest.mark.timeout(180)]

HERE = Path(__file__).resolve().parent
CHROMIUM = os.environ.get("VECTIMUS_CHROMIUM", "/usr/bin/chromium")
SCREENSHOT = REPO / "bench" / "results" / "dashboard.png"
MAX_TRANSFER = 100 * 1000
# A fixed pack: the test counts decisions, so they must not follow edits to the bundled packs.
POLICIES = HERE / "policies"


def _missing(what: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(f"{what}; CI needs it (.ci/run installs Chromium)", pytrace=False)
    pytest.skip(what)


@pytest.fixture(scope="module")
def node() -> str:
    """Node with playwright-core installed from the lock file (no browser download)."""
    found = shutil.which("node")
    npm = shutil.which("npm")
    if found is None or npm is None:
        _missing("node and npm are not installed")
    if not Path(CHROMIUM).exists():
        _missing(f"Chromium is not installed at {CHROMIUM} (apt-get install chromium)")
    if not (HERE / "node_modules" / "playwright-core").is_dir():
        env = {**os.environ, "PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD": "1"}
        done = subprocess.run(
            [str(npm), "ci", "--no-audit", "--no-fund"],
            cwd=HERE,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        if done.returncode != 0:
            _missing(f"npm ci failed in {HERE}:\n{done.stderr[-2000:]}")
    return str(found)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gateway]:
    gateway = start_gateway(tmp_path_factory.mktemp("dashboard"), "--policy-dir", str(POLICIES))
    try:
        gateway.wait("/ready")
        yield gateway
    finally:
        gateway.stop()


def run_browser(node: str, gateway: Gateway) -> tuple[int, dict[str, Any], str]:
    SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    env = {
        **os.environ,
        "GATEWAY_URL": gateway.url,
        "API_KEY": KEY,
        "SCREENSHOT": str(SCREENSHOT),
        "CHROMIUM": CHROMIUM,
    }
    done = subprocess.run(
        [node, str(HERE / "dashboard.mjs")],
        cwd=HERE,
        env=env,
        capture_output=True,
        text=True,
        timeout=150,
        check=False,
    )
    lines = done.stdout.strip().splitlines()
    report = json.loads(lines[-1]) if lines and lines[-1].startswith("{") else {}
    return done.returncode, report, done.stderr[-4000:]


def test_dashboard_in_chromium(node: str, server: Gateway) -> None:
    code, report, stderr = run_browser(node, server)
    assert report, f"no report from dashboard.mjs (exit {code}):\n{stderr}"
    assert report["failures"] == [], json.dumps(report, indent=1)
    assert code == 0, stderr
    assert report["ok"] is True
    assert 0 < report["transfer_bytes"] <= MAX_TRANSFER, report["transfer"]
    assert report["counters"] == report["sent"]
    assert report["resumed_with"], "the page never reconnected after the cut"
    assert SCREENSHOT.stat().st_size > 10_000
    print(
        f"\ndashboard: {report['transfer_bytes']} bytes transferred, "
        f"{report['rows']} rows, reconnected in {report['reconnect_ms']} ms, "
        f"whole run {report['elapsed_ms']} ms"
    )
