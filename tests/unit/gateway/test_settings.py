"""Gateway settings: layers, precedence, merged API keys, errors that name the origin."""

from __future__ import annotations

from pathlib import Path

import pytest

from vectimus.core.errors import ConfigError
from vectimus.gateway.settings import load_settings, to_environment


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


class TestPrecedence:
    def test_defaults(self, tmp_path: Path) -> None:
        settings = load_settings(environ={}, cwd=tmp_path)
        assert (settings.host, settings.port, settings.workers) == ("127.0.0.1", 8420, 1)
        assert settings.max_body_bytes == 1024 * 1024
        assert settings.embedded
        assert settings.api_keys == ()

    def test_flags_beat_env_beat_local_beat_user(self, tmp_path: Path, vectimus_home: Path) -> None:
        write(
            vectimus_home / "config.toml",
            '[server]\nport = 1\nhost = "user"\nworkers = 3\nurl = "http://x"\n',
        )
        write(tmp_path / "vectimus.toml", '[server]\nport = 2\nhost = "local"\n')
        environ = {"VECTIMUS_PORT": "3"}
        settings = load_settings({"port": 4}, environ=environ, cwd=tmp_path)
        assert settings.port == 4
        assert load_settings(environ=environ, cwd=tmp_path).port == 3
        assert load_settings(environ={}, cwd=tmp_path).port == 2
        assert settings.host == "local"
        assert settings.workers == 3

    def test_relative_paths_are_relative_to_their_file(self, tmp_path: Path) -> None:
        write(tmp_path / "vectimus.toml", '[server]\npolicy_dir = "packs"\n')
        assert load_settings(environ={}, cwd=tmp_path).policy_dir == tmp_path / "packs"

    def test_environment_variables(self, tmp_path: Path) -> None:
        settings = load_settings(
            environ={
                "VECTIMUS_OBSERVE": "yes",
                "VECTIMUS_REDIS_URL": "redis://r:6379/0",
                "VECTIMUS_CORS_ORIGINS": "https://a.example, https://b.example",
                "VECTIMUS_EVAL_DEADLINE_MS": "250",
            },
            cwd=tmp_path,
        )
        assert settings.observe
        assert not settings.embedded
        assert settings.cors_origins == ("https://a.example", "https://b.example")
        assert settings.eval_deadline_ms == 250
        env = to_environment(settings)
        assert env["VECTIMUS_REDIS_URL"] == "redis://r:6379/0"
        assert env["VECTIMUS_OBSERVE"] == "true"


class TestApiKeys:
    def test_every_layer_merges_by_name(self, tmp_path: Path, vectimus_home: Path) -> None:
        write(
            vectimus_home / "config.toml",
            '[[server.api_keys]]\nname = "ci"\nkey = "from-user-file"\n'
            '[[server.api_keys]]\nname = "alice"\nkey = "alice-key"\n',
        )
        environ = {"VECTIMUS_API_KEYS": "ci:from-env, bob:bob-key", "VECTIMUS_API_KEY": "single"}
        keys = load_settings(environ=environ, cwd=tmp_path).keys()
        assert keys == {
            "ci": "from-env",
            "alice": "alice-key",
            "bob": "bob-key",
            "default": "single",
        }

    def test_a_malformed_entry_names_the_variable(self, tmp_path: Path) -> None:
        with pytest.raises(ConfigError, match="VECTIMUS_API_KEYS"):
            load_settings(environ={"VECTIMUS_API_KEYS": "nokey"}, cwd=tmp_path)

    def test_keys_are_not_shown(self, tmp_path: Path) -> None:
        settings = load_settings(environ={"VECTIMUS_API_KEY": "s3cret"}, cwd=tmp_path)
        assert "s3cret" not in repr(settings)


class TestErrors:
    def test_unknown_key_names_the_file_and_key(self, tmp_path: Path) -> None:
        local = write(tmp_path / "vectimus.toml", "[server]\nprot = 1\n")
        with pytest.raises(ConfigError, match=r"vectimus\.toml.*server\.prot"):
            load_settings(environ={}, cwd=tmp_path)
        assert local.exists()

    def test_only_a_server_table_in_the_local_file(self, tmp_path: Path) -> None:
        write(tmp_path / "vectimus.toml", "[rules]\ndisabled = []\n")
        with pytest.raises(ConfigError, match="rules"):
            load_settings(environ={}, cwd=tmp_path)

    def test_bad_variable_names_the_variable(self, tmp_path: Path) -> None:
        with pytest.raises(ConfigError, match="VECTIMUS_"):
            load_settings(environ={"VECTIMUS_PORT": "eighty"}, cwd=tmp_path)

    def test_tls_needs_both_files(self, tmp_path: Path) -> None:
        with pytest.raises(ConfigError, match="ssl_keyfile"):
            load_settings({"ssl_certfile": tmp_path / "c.pem"}, environ={}, cwd=tmp_path)
