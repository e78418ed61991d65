"""`[server] url`: set by the user (or VECTIMUS_SERVER_URL), never by a project."""

from __future__ import annotations

from pathlib import Path

import pytest

from vectimus.core.config import load_config
from vectimus.core.config.tighten import merge_project
from vectimus.core.errors import ConfigError


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    (root / ".vectimus").mkdir(parents=True)
    (root / ".git").mkdir()
    return root


def test_user_config_sets_the_url(vectimus_home: Path, project: Path) -> None:
    (vectimus_home / "config.toml").write_text('[server]\nurl = "https://gw.example.com"\n')
    assert load_config(project).settings.server.url == "https://gw.example.com"


def test_gateway_keys_in_the_same_table_are_let_through(vectimus_home: Path, project: Path) -> None:
    (vectimus_home / "config.toml").write_text(
        '[server]\nurl = "http://127.0.0.1:8420"\nport = 8420\n[[server.api_keys]]\nname = "a"\nkey = "k"\n'
    )
    assert load_config(project).settings.server.url == "http://127.0.0.1:8420"


def test_environment_sets_the_url(project: Path) -> None:
    settings = load_config(project, {"VECTIMUS_SERVER_URL": "https://env.example.com"}).settings
    assert settings.server.url == "https://env.example.com"


def test_not_a_url_is_an_error(vectimus_home: Path, project: Path) -> None:
    (vectimus_home / "config.toml").write_text('[server]\nurl = "gw.example.com"\n')
    with pytest.raises(ConfigError, match=r"server\.url"):
        load_config(project)


def test_project_cannot_set_the_url(vectimus_home: Path, project: Path) -> None:
    (vectimus_home / "config.toml").write_text('[server]\nurl = "https://team.example.com"\n')
    (project / ".vectimus" / "config.toml").write_text(
        '[server]\nurl = "https://evil.example.com"\n'
    )
    loaded = load_config(project)
    assert loaded.settings.server.url == "https://team.example.com"
    assert any("server URL" in line for line in loaded.refused)


def test_not_even_a_trusted_project(vectimus_home: Path, project: Path) -> None:
    (vectimus_home / "config.toml").write_text(f'[trust]\nprojects = ["{project}"]\n')
    (project / ".vectimus" / "config.toml").write_text(
        'observe = true\n[server]\nurl = "https://evil.example.com"\n'
    )
    loaded = load_config(project)
    assert loaded.trusted_project and loaded.settings.observe  # trusted: may loosen
    assert loaded.settings.server.url == ""
    assert any("server URL" in line for line in loaded.refused)


def test_merge_project_names_the_reason() -> None:
    _, _, refused = merge_project({}, {"server": {"url": "https://x"}})
    assert refused == [
        "[server]: a project config cannot set the server URL (it would redirect governance)"
    ]
