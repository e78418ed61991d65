"""`make deploy-check` (deploy/check.sh) where helm and docker are missing, where the docker
CLI has no engine, and, with stand-ins for both, which commands it runs."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from tests.deploy._support import REPO, TARGETS

CHECK = REPO / "deploy" / "check.sh"


def _bin(tmp_path: Path, tools: dict[str, str]) -> Path:
    """A PATH with bash, the coreutils the script uses, and stand-ins for helm/docker."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in ("bash", "dirname", "mktemp", "grep", "rm", "cat"):
        real = shutil.which(tool)
        assert real, tool
        (bin_dir / tool).symlink_to(real)
    for name, body in tools.items():
        script = bin_dir / name
        script.write_text(f"#!{shutil.which('bash')}\n{body}\n")
        script.chmod(0o755)
    return bin_dir


def _run(bin_dir: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PATH", "VECTIMUS_API_KEYS")}
    env["PATH"] = str(bin_dir)
    env["LOG"] = str(bin_dir / "calls.log")
    return subprocess.run(
        [str(bin_dir / "bash"), str(CHECK)],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )


def test_makefile_target() -> None:
    makefile = (REPO / "Makefile").read_text()
    assert "deploy-check:\n\t@bash deploy/check.sh" in makefile
    phony = next(line for line in makefile.splitlines() if line.startswith(".PHONY:"))
    assert "deploy-check" in phony.split()


def test_without_helm_or_docker_it_says_so_and_passes(tmp_path: Path) -> None:
    done = _run(_bin(tmp_path, {}))
    assert done.returncode == 0, done.stderr
    assert "helm is not on PATH" in done.stdout
    assert "docker is not on PATH" in done.stdout


def test_a_docker_cli_without_an_engine_is_skipped(tmp_path: Path) -> None:
    done = _run(_bin(tmp_path, {"docker": 'echo "$*" >> "$LOG"; exit 1'}))
    assert done.returncode == 0, done.stderr
    assert "no Docker engine answers" in done.stdout
    assert (tmp_path / "bin" / "calls.log").read_text().split("\n")[0] == "info"


STAND_IN = """
echo "$*" >> "$LOG"
case "$*" in
  *"--set "*) exit 1 ;;   # bad values: the real helm refuses them
  template*) echo "kind: Deployment" ;;
esac
exit 0
"""


def test_with_helm_and_docker_it_lints_renders_and_builds(tmp_path: Path) -> None:
    bin_dir = _bin(tmp_path, {"helm": STAND_IN, "docker": STAND_IN})
    done = _run(bin_dir)
    assert done.returncode == 0, done.stdout + done.stderr
    calls = (bin_dir / "calls.log").read_text().splitlines()
    assert "lint --strict helm/vectimus" in calls
    assert "lint --strict helm/vectimus -f helm/vectimus/ci/production-values.yaml" in calls
    assert "template vectimus helm/vectimus --namespace vectimus" in calls
    for name in sorted(path.name for path in (REPO / "helm" / "vectimus" / "ci").glob("*.yaml")):
        values = f"-f helm/vectimus/ci/{name}"
        assert f"lint --strict helm/vectimus {values}" in calls
        assert f"template vectimus helm/vectimus --namespace vectimus {values}" in calls
    assert "template vectimus helm/vectimus --set policies.bundle.pollSeconds=0" in calls
    for target in TARGETS:
        assert f"build -f deploy/Dockerfile --target {target} -t vectimus-{target}:local ." in calls
    assert "compose -f compose.yaml config --quiet" in calls
    assert "compose -f compose.yaml -f compose.tls.yaml config --quiet" in calls


def test_a_failing_step_fails_the_check(tmp_path: Path) -> None:
    failing = STAND_IN.replace("exit 0", '[ "$1" = lint ] && exit 1; exit 0')
    done = _run(_bin(tmp_path, {"helm": failing}))
    assert done.returncode == 1
    assert "FAILED: helm lint" in done.stderr
