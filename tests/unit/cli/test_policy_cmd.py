"""`vectimus policy keygen | bundle build | update | status`, run in process."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tests.unit.bundles.conftest import write_pack
from vectimus.cli.main import main


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    status = main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


@pytest.fixture
def signing_key(tmp_path: Path, vectimus_home: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    """A key made by `policy keygen`, trusted the way its output says."""
    path = tmp_path / "team.key"
    status, out, _ = run(capsys, "policy", "keygen", "-o", str(path))
    assert status == 0
    assert path.stat().st_mode & 0o777 == 0o600
    line = re.search(r'trusted_keys = \["ed25519:[0-9a-f]{64}"\]', out)
    assert line is not None
    (vectimus_home / "config.toml").write_text(f"[policies]\n{line.group(0)}\n")
    return path


def build(capsys: pytest.CaptureFixture[str], src: Path, out: Path, key: Path | None) -> str:
    args = ["policy", "bundle", "build", str(src), "-o", str(out)]
    status, printed, err = run(capsys, *args, *(["--signing-key", str(key)] if key else []))
    assert status == 0, err
    return printed


def test_build_update_status(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, signing_key: Path
) -> None:
    src = write_pack(tmp_path / "src", {"team-001": "alpha"})
    printed = build(capsys, src, tmp_path / "b.json", signing_key)
    assert "signed by ed25519:" in printed
    status, out, err = run(capsys, "policy", "update", "--from", str(tmp_path / "b.json"))
    assert status == 0, err
    assert f"from {tmp_path / 'b.json'}" in out
    assert "(trusted)" in out
    assert "no daemon running" in out
    status, out, _ = run(capsys, "policy", "status", "--format", "json")
    report = json.loads(out)
    assert report["source"]["kind"] == "bundle"
    assert report["source"]["signer_trusted"] is True
    assert report["packs"] == {"team": "1.0.0"}
    status, out, _ = run(capsys, "policy", "status")
    assert "signed:     yes, by ed25519:" in out
    assert "(a trusted key)" in out
    status, out, _ = run(capsys, "policy", "update", "--from", str(tmp_path / "b.json"))
    assert "already in force: no change" in out


def test_a_refused_update_says_why_and_changes_nothing(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, signing_key: Path
) -> None:
    src = write_pack(tmp_path / "src", {"team-001": "alpha"})
    build(capsys, src, tmp_path / "good.json", signing_key)
    run(capsys, "policy", "update", "--from", str(tmp_path / "good.json"))
    before = json.loads(run(capsys, "policy", "status", "--format", "json")[1])
    build(capsys, src, tmp_path / "unsigned.json", None)
    status, _, err = run(capsys, "policy", "update", "--from", str(tmp_path / "unsigned.json"))
    assert status == 1
    assert "refused" in err
    assert "the bundle is unsigned, and [policies] trusted_keys is set" in err
    assert f"unchanged (policy set {before['policy_set_hash'][:16]}" in err
    after = json.loads(run(capsys, "policy", "status", "--format", "json")[1])
    assert after == before


def test_usage_errors(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, signing_key: Path
) -> None:
    status, _, err = run(capsys, "policy", "update")
    assert status == 2
    assert "--from URL|PATH, or [policies] bundle_url" in err
    status, _, err = run(capsys, "policy", "keygen", "-o", str(signing_key))
    assert status == 2
    assert "exists; not replacing a key" in err
    status, _, err = run(capsys, "policy", "bundle", "build", str(tmp_path), "-o", "x.json")
    assert status == 1
    assert "no policy packs" in err
    loose = tmp_path / "loose.key"
    loose.write_bytes(signing_key.read_bytes())
    loose.chmod(0o644)
    src = write_pack(tmp_path / "src", {"team-001": "alpha"})
    args = ["policy", "bundle", "build", str(src), "-o", "x.json", "--signing-key", str(loose)]
    status, _, err = run(capsys, *args)
    assert status == 2
    assert "accessible by group or others" in err
