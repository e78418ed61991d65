"""`vectimus policy update` against a running daemon: it reloads, and the next hook call is
decided by the new set (and says so in the daemon's status)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.integration.client.conftest import run_hook, vectimus
from tests.unit.bundles.conftest import write_pack
from vectimus.client import control
from vectimus.core.bundles.build import build_bundle
from vectimus.core.bundles.format import encode_bundle
from vectimus.core.bundles.trust import public_key_text
from vectimus.core.receipts.keys import SigningKey


def bash(command: str) -> dict[str, Any]:
    return {"session_id": "s", "cwd": "/tmp", "hook_event_name": "PreToolUse",
            "tool_name": "Bash", "tool_input": {"command": command}}  # fmt: skip


def decided(command: str) -> str:
    result = run_hook("claude-code", bash(command))
    if not result.stdout:
        return "allow"
    return str(json.loads(result.stdout)["hookSpecificOutput"]["permissionDecision"])


def bundle_file(
    tmp_path: Path, name: str, rules: dict[str, str], key: SigningKey
) -> tuple[Path, str]:
    bundle = build_bundle(write_pack(tmp_path / name, rules), key=key)
    path = tmp_path / f"{name}.json"
    path.write_bytes(encode_bundle(bundle))
    return path, bundle.manifest.policy_set_hash


def test_a_daemon_reloads_on_update(
    daemon: dict[str, Any], vectimus_home: Path, tmp_path: Path
) -> None:
    key = SigningKey.generate()
    (vectimus_home / "config.toml").write_text(
        f'[policies]\ntrusted_keys = ["{public_key_text(key.public_key)}"]\n'
    )
    first, first_hash = bundle_file(tmp_path, "v1", {"team-001": "alpha"}, key)
    second, second_hash = bundle_file(tmp_path, "v2", {"team-002": "beta"}, key)

    done = vectimus("policy", "update", "--from", str(first))
    assert done.returncode == 0, done.stderr
    assert "daemon reloaded" in done.stdout
    assert decided("alpha now") == "deny"
    assert decided("beta now") == "allow"
    [project] = control.status()["projects"]  # type: ignore[index]
    assert project["policy_set_hash"] == first_hash
    assert project["policy_source"]["kind"] == "bundle"
    assert project["policy_source"]["signer"] == key.key_id

    done = vectimus("policy", "update", "--from", str(second))
    assert done.returncode == 0, done.stderr
    assert "daemon reloaded" in done.stdout
    assert control.status()["projects"] == []  # type: ignore[index]  # engines dropped
    assert decided("alpha now") == "allow"
    assert decided("beta now") == "deny"
    [project] = control.status()["projects"]  # type: ignore[index]
    assert project["policy_set_hash"] == second_hash

    refused = vectimus("policy", "update", "--from", str(tmp_path / "missing.json"))
    assert refused.returncode == 1
    assert "the policy set in force is unchanged" in refused.stderr
    assert decided("beta now") == "deny"
    status = vectimus("policy", "status")
    assert f"{second_hash[:16]} in force for" in status.stdout
