"""``[policies] trusted_keys``, ``bundle_url`` and ``bundle_poll_s``: user-level only, and
validated with errors that name the key."""

from __future__ import annotations

from pathlib import Path

import pytest

from vectimus.core.config import load_config
from vectimus.core.errors import ConfigError

KEY = "ed25519:" + "ab" * 32
OTHER = "ed25519:" + "cd" * 32


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "cloned-repo"
    (root / ".vectimus").mkdir(parents=True)
    (root / ".git").mkdir()
    return root


def test_user_config_sets_them(vectimus_home: Path) -> None:
    (vectimus_home / "config.toml").write_text(
        f'[policies]\ntrusted_keys = ["{KEY}"]\nbundle_url = "https://p.example/b.json"\n'
        "bundle_poll_s = 5\n"
    )
    policies = load_config(None).settings.policies
    assert policies.trusted_keys == (KEY,)
    assert policies.bundle_url == "https://p.example/b.json"
    assert policies.bundle_poll_s == 5.0


def test_environment_sets_them(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VECTIMUS_TRUSTED_KEYS", f"{KEY}, {OTHER}")
    monkeypatch.setenv("VECTIMUS_BUNDLE_URL", "http://127.0.0.1:9/b.json")
    monkeypatch.setenv("VECTIMUS_BUNDLE_POLL_S", "0.5")
    policies = load_config(None).settings.policies
    assert policies.trusted_keys == (KEY, OTHER)
    assert policies.bundle_poll_s == 0.5


def test_empty_variables_are_unset(monkeypatch: pytest.MonkeyPatch) -> None:
    """What compose.yaml passes when .env sets none of them: bundles stay off."""
    for name in ("VECTIMUS_TRUSTED_KEYS", "VECTIMUS_BUNDLE_URL", "VECTIMUS_BUNDLE_POLL_S"):
        monkeypatch.setenv(name, "")
    policies = load_config(None).settings.policies
    assert (policies.trusted_keys, policies.bundle_url, policies.bundle_poll_s) == ((), "", 30.0)


def test_a_container_empties_the_image_policy_dir(monkeypatch: pytest.MonkeyPatch) -> None:
    """The gateway and evaluator images set VECTIMUS_POLICY_DIR; compose and the chart set it
    to "" beside a bundle URL, and that is no dir (bundle_url and dir are alternatives)."""
    monkeypatch.setenv("VECTIMUS_POLICY_DIR", "")
    monkeypatch.setenv("VECTIMUS_TRUSTED_KEYS", KEY)
    monkeypatch.setenv("VECTIMUS_BUNDLE_URL", "https://p.example/b.json")
    monkeypatch.setenv("VECTIMUS_BUNDLE_POLL_S", "")
    policies = load_config(None).settings.policies
    assert policies.dir is None
    assert (policies.bundle_url, policies.bundle_poll_s) == ("https://p.example/b.json", 30.0)


@pytest.mark.parametrize("trusted", [False, True])
def test_a_project_cannot_set_them_even_when_trusted(
    vectimus_home: Path, project: Path, trusted: bool
) -> None:
    user = f'[policies]\ntrusted_keys = ["{KEY}"]\n'
    if trusted:
        user += f'[trust]\nprojects = ["{project}"]\n'
    (vectimus_home / "config.toml").write_text(user)
    (project / ".vectimus" / "config.toml").write_text(
        f'[policies]\ntrusted_keys = ["{OTHER}"]\nbundle_url = "https://evil.example/b.json"\n'
        "bundle_poll_s = 1\n"
    )
    loaded = load_config(project)
    assert loaded.trusted_project is trusted
    assert loaded.settings.policies.trusted_keys == (KEY,)
    assert loaded.settings.policies.bundle_url == ""
    refused = "\n".join(loaded.refused)
    assert "policies.trusted_keys: a project config cannot choose whose policy bundles" in refused
    assert "policies.bundle_url: a project config cannot choose where policy bundles" in refused
    assert "policies.bundle_poll_s" in refused


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('trusted_keys = ["ed25519:abc"]', "'ed25519:abc' is not a public key: expected ed25519:"),
        ('bundle_url = "https://b.example/x"', "bundle_url needs trusted_keys"),
        (f'trusted_keys = ["{KEY}"]\nbundle_url = "ftp://b.example/x"', "policies.bundle_url"),
        (
            f'trusted_keys = ["{KEY}"]\nbundle_url = "https://b.example/x"\ndir = "/srv/p"',
            "bundle_url and dir (VECTIMUS_POLICY_DIR, --policy-dir) are alternatives",
        ),
    ],
)
def test_bad_values_name_the_problem(vectimus_home: Path, text: str, expected: str) -> None:
    path = vectimus_home / "config.toml"
    path.write_text(f"[policies]\n{text}\n")
    with pytest.raises(ConfigError) as caught:
        load_config(None)
    assert str(path) in str(caught.value)
    assert expected in str(caught.value)
