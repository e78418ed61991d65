"""[escalation] and the session limits in config; API keys with the approver role."""

from __future__ import annotations

from pathlib import Path

import pytest

from vectimus.core.config import load_config
from vectimus.core.errors import ConfigError
from vectimus.gateway.approvals.config import check_escalation, load_escalation
from vectimus.gateway.auth import ApiKeys
from vectimus.gateway.settings import env_api_keys, load_settings

SECRET = "s3cret-for-hmac-0123456789"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    (root / ".vectimus").mkdir(parents=True)
    return root


def user_config(home: Path, text: str) -> None:
    (home / "config.toml").write_text(text)


class TestEscalation:
    def test_the_default_is_ask_below_the_hook_timeouts(self) -> None:
        settings = load_escalation({})
        assert settings.mode == "ask"
        assert settings.timeout_seconds < 30  # vectimus init's and Copilot's hook timeout

    def test_approval_from_the_file(self, vectimus_home: Path) -> None:
        user_config(
            vectimus_home,
            '[escalation]\nmode = "approval"\ntimeout_seconds = 10\n'
            f'[escalation.webhook]\nurl = "http://127.0.0.1:9/hook"\nsecret = "{SECRET}"\n',
        )
        settings = load_escalation({})
        assert settings.mode == "approval" and settings.approvers == ("webhook",)
        assert settings.webhook is not None and settings.webhook.secret.get_secret_value() == SECRET

    def test_approval_from_variables(self) -> None:
        settings = load_escalation(
            {
                "VECTIMUS_ESCALATION_MODE": "approval",
                "VECTIMUS_ESCALATION_TIMEOUT_SECONDS": "12.5",
                "VECTIMUS_SLACK_WEBHOOK_URL": "https://hooks.slack.com/services/T/B/X",
                "VECTIMUS_PAGERDUTY_ROUTING_KEY": "R0UT1NG",
            }
        )
        assert settings.timeout_seconds == 12.5
        assert settings.approvers == ("slack", "pagerduty")

    def test_approval_without_approvers_names_the_problem(self) -> None:
        with pytest.raises(ConfigError, match=r"escalation: .*needs at least one approver"):
            load_escalation({"VECTIMUS_ESCALATION_MODE": "approval"})

    @pytest.mark.parametrize(
        ("text", "problem"),
        [
            ('mode = "maybe"', "escalation.mode"),
            ("timeout_seconds = 0", "escalation.timeout_seconds"),
            ('[escalation.webhook]\nurl = "ftp://x"\nsecret = "0123456789abcdef"', "webhook.url"),
            ('[escalation.webhook]\nurl = "http://x/"\nsecret = "short"', "webhook.secret"),
            ("nope = 1", "escalation.nope"),
        ],
    )
    def test_bad_settings_are_named(self, vectimus_home: Path, text: str, problem: str) -> None:
        user_config(vectimus_home, f"[escalation]\n{text}\n")
        with pytest.raises(ConfigError, match=problem):
            load_escalation({})

    def test_the_hook_accepts_the_section(self, vectimus_home: Path, project: Path) -> None:
        user_config(vectimus_home, '[escalation]\nmode = "ask"\n')
        assert load_config(project, environ={}).settings.escalation.mode == "ask"

    def test_a_project_cannot_set_approvers(self, vectimus_home: Path, project: Path) -> None:
        (project / ".vectimus" / "config.toml").write_text(
            f'[escalation.webhook]\nurl = "http://evil.example/"\nsecret = "{SECRET}"\n'
        )
        loaded = load_config(project, environ={})
        assert loaded.settings.escalation.webhook is None
        assert any("[escalation]" in line for line in loaded.refused)


class TestSessionLimits:
    def test_defaults(self, project: Path) -> None:
        limits = load_config(project, environ={}).settings.limits
        assert (limits.session_spawn_limit, limits.session_message_limit) == (10, 50)
        assert limits.session_ttl_seconds == 3600

    def test_variables(self, project: Path) -> None:
        env = {"VECTIMUS_SESSION_SPAWN_LIMIT": "3", "VECTIMUS_SESSION_TTL_SECONDS": "600"}
        limits = load_config(project, environ=env).settings.limits
        assert (limits.session_spawn_limit, limits.session_ttl_seconds) == (3, 600)

    def test_a_project_may_lower_limits_but_not_raise_them(self, project: Path) -> None:
        (project / ".vectimus" / "config.toml").write_text(
            "[limits]\nsession_spawn_limit = 4\nsession_message_limit = 500\n"
            "session_ttl_seconds = 60\n"
        )
        loaded = load_config(project, environ={})
        limits = loaded.settings.limits
        assert limits.session_spawn_limit == 4
        assert limits.session_message_limit == 50  # the default stands
        assert limits.session_ttl_seconds == 3600  # forgetting sooner would loosen
        refused = "\n".join(loaded.refused)
        assert "session_message_limit" in refused and "session_ttl_seconds" in refused


class TestApproverKeys:
    def test_variable_syntax(self) -> None:
        keys = env_api_keys({"VECTIMUS_API_KEYS": "hook:k1:with:colons,ops:k2:approver"})
        assert keys == [
            {"name": "hook", "key": "k1:with:colons", "roles": []},
            {"name": "ops", "key": "k2", "roles": ["approver"]},
        ]

    def test_only_keys_given_the_role_have_it(self, tmp_path: Path) -> None:
        settings = load_settings(
            environ={"VECTIMUS_API_KEYS": "hook:hook-key-000,ops:ops-key-000:approver"},
            cwd=tmp_path,
        )
        keys = ApiKeys(settings.keys(), settings.roles())
        assert keys.check("Bearer hook-key-000", None).roles == frozenset()
        assert keys.check("Bearer ops-key-000", None).roles == {"approver"}
        assert keys.with_role("approver") == ["ops"]

    def test_roles_in_toml(self, tmp_path: Path) -> None:
        (tmp_path / "vectimus.toml").write_text(
            '[[server.api_keys]]\nname = "ops"\nkey = "ops-key-000"\nroles = ["approver"]\n'
        )
        settings = load_settings(environ={}, cwd=tmp_path)
        assert settings.roles() == {"ops": frozenset({"approver"})}

    def test_an_unknown_role_is_an_error(self, tmp_path: Path) -> None:
        (tmp_path / "vectimus.toml").write_text(
            '[[server.api_keys]]\nname = "ops"\nkey = "ops-key-000"\nroles = ["admin"]\n'
        )
        with pytest.raises(ConfigError, match="roles"):
            load_settings(environ={}, cwd=tmp_path)


def test_the_server_checks_escalation_before_it_serves(tmp_path: Path) -> None:
    approval = {"VECTIMUS_ESCALATION_MODE": "approval", "VECTIMUS_SLACK_WEBHOOK_URL": "https://x/y"}
    hook_only = load_settings(environ={"VECTIMUS_API_KEYS": "hook:hook-key-000"}, cwd=tmp_path)
    with pytest.raises(ConfigError, match="no API key has the approver role"):
        check_escalation(hook_only, approval)
    with_ops = load_settings(
        environ={"VECTIMUS_API_KEYS": "hook:hook-key-000,ops:ops-key-000:approver"}, cwd=tmp_path
    )
    check_escalation(with_ops, approval)
    check_escalation(hook_only, {})  # "ask" needs no approver
