"""Config layers, errors that name the problem, and the project-only-tightens rule."""

from __future__ import annotations

from pathlib import Path

import pytest

from vectimus.core.config import load_config
from vectimus.core.config.load import ENVIRONMENT
from vectimus.core.errors import ConfigError


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    (root / ".vectimus").mkdir(parents=True)
    (root / ".git").mkdir()
    return root


def user_config(home: Path, text: str) -> None:
    (home / "config.toml").write_text(text)


def project_config(root: Path, text: str) -> None:
    (root / ".vectimus" / "config.toml").write_text(text)


class TestLayers:
    def test_defaults(self, project: Path) -> None:
        settings = load_config(project, environ={}).settings
        assert settings.limits.content_inspection_max_lines == 5000
        assert settings.observe is False

    def test_precedence_user_project_env(self, vectimus_home: Path, project: Path) -> None:
        user_config(vectimus_home, "[limits]\ncontent_inspection_max_lines = 100\n")
        project_config(project, "[limits]\ncontent_inspection_max_lines = 200\n")
        assert load_config(project, environ={}).settings.limits.content_inspection_max_lines == 200
        env = {"VECTIMUS_CONTENT_MAX_LINES": "300"}
        assert load_config(project, environ=env).settings.limits.content_inspection_max_lines == 300

    def test_project_root_found_from_a_subdirectory(self, project: Path) -> None:
        sub = project / "src" / "pkg"
        sub.mkdir(parents=True)
        assert load_config(sub, environ={}).project_root == project.resolve()


class TestErrors:
    def test_unknown_key_names_file_and_key(self, vectimus_home: Path, project: Path) -> None:
        user_config(vectimus_home, "[limits]\ncontent_max = 3\n")
        with pytest.raises(ConfigError) as info:
            load_config(project, environ={})
        assert str(vectimus_home / "config.toml") in str(info.value)
        assert "limits.content_max" in str(info.value)

    def test_bad_type_names_the_problem(self, vectimus_home: Path, project: Path) -> None:
        user_config(vectimus_home, '[limits]\ncontent_inspection_max_lines = "many"\n')
        with pytest.raises(ConfigError, match=r"limits\.content_inspection_max_lines"):
            load_config(project, environ={})

    def test_invalid_toml(self, vectimus_home: Path, project: Path) -> None:
        user_config(vectimus_home, "[limits\n")
        with pytest.raises(ConfigError, match="invalid TOML"):
            load_config(project, environ={})

    def test_bad_enforcement_level(self, vectimus_home: Path, project: Path) -> None:
        user_config(vectimus_home, '[rules.enforcement]\n"x-1" = "maybe"\n')
        with pytest.raises(ConfigError, match=r"rules\.enforcement\.x-1"):
            load_config(project, environ={})

    @pytest.mark.parametrize(
        ("name", "value"), [("VECTIMUS_OBSERVE", "perhaps"), ("VECTIMUS_CONTENT_MAX_LINES", "ten")]
    )
    def test_bad_environment_variable(self, project: Path, name: str, value: str) -> None:
        with pytest.raises(ConfigError, match=name):
            load_config(project, environ={name: value})

    def test_out_of_range(self, project: Path) -> None:
        with pytest.raises(ConfigError, match="content_inspection_max_lines"):
            load_config(project, environ={"VECTIMUS_CONTENT_MAX_LINES": "0"})


class TestProjectOnlyTightens:
    def test_project_cannot_disable_rules_or_observe(self, project: Path) -> None:
        project_config(
            project, 'observe = true\n[rules]\ndisabled = ["vectimus-destructive-001"]\n'
        )
        loaded = load_config(project, environ={})
        assert loaded.settings.observe is False
        assert loaded.settings.rules.disabled == ()
        assert any("observe" in line for line in loaded.refused)
        assert any("disable" in line for line in loaded.refused)

    def test_project_cannot_widen_mcp_allowlist(self, vectimus_home: Path, project: Path) -> None:
        user_config(vectimus_home, '[mcp]\nallowed_servers = ["github", "linear"]\n')
        project_config(project, '[mcp]\nallowed_servers = ["github", "evil"]\n')
        loaded = load_config(project, environ={})
        assert loaded.settings.mcp.allowed_servers == ("github",)
        assert any("evil" in line for line in loaded.refused)

    def test_project_can_only_raise_enforcement(self, project: Path) -> None:
        project_config(project, '[rules.enforcement]\n"a" = "observe"\n"b" = "deny"\n')
        assert dict(load_config(project, environ={}).project_enforcement) == {
            "a": "observe",
            "b": "deny",
        }

    def test_project_cannot_touch_receipts_audit_identity_or_trust(
        self, project: Path, tmp_path: Path
    ) -> None:
        project_config(
            project,
            f'[receipts]\nenabled = false\n[audit]\nlog_dir = "/tmp"\n'
            f'[identity]\nprincipal = "root"\n[trust]\nprojects = ["{project}"]\n',
        )
        loaded = load_config(project, environ={})
        assert loaded.settings.receipts.enabled is True
        assert loaded.settings.identity.principal == ""
        assert loaded.settings.trust.projects == ()
        assert len(loaded.refused) == 4

    def test_project_limits_only_tighten(self, vectimus_home: Path, project: Path) -> None:
        user_config(
            vectimus_home,
            "[limits]\ncontent_inspection_max_lines = 1000\nexcessive_turns_threshold = 20\n",
        )
        project_config(
            project, "[limits]\ncontent_inspection_max_lines = 10\nexcessive_turns_threshold = 99\n"
        )
        limits = load_config(project, environ={}).settings.limits
        assert (limits.content_inspection_max_lines, limits.excessive_turns_threshold) == (1000, 20)

    def test_trusted_project_may_loosen(self, vectimus_home: Path, project: Path) -> None:
        user_config(vectimus_home, f'[trust]\nprojects = ["{project}"]\n')
        project_config(
            project, 'observe = true\n[rules]\ndisabled = ["vectimus-destructive-001"]\n'
        )
        loaded = load_config(project, environ={})
        assert loaded.trusted_project
        assert loaded.settings.observe is True
        assert loaded.settings.rules.disabled == ("vectimus-destructive-001",)

    def test_project_extra_policy_dirs_are_relative_to_the_project(self, project: Path) -> None:
        project_config(project, '[policies]\nextra_dirs = ["team-policies"]\ndir = "/tmp/empty"\n')
        loaded = load_config(project, environ={})
        assert loaded.settings.policies.extra_dirs == (project / "team-policies",)
        assert loaded.settings.policies.dir is None


class TestEnvironment:
    @pytest.mark.parametrize(
        ("raw", "expected"), [("false", False), ("0", False), ("yes", True), ("On", True)]
    )
    def test_receipts_enabled(self, project: Path, raw: str, expected: bool) -> None:
        settings = load_config(project, environ={"VECTIMUS_RECEIPTS_ENABLED": raw}).settings
        assert settings.receipts.enabled is expected

    def test_receipts_enabled_refuses_nonsense(self, project: Path) -> None:
        with pytest.raises(ConfigError, match="VECTIMUS_RECEIPTS_ENABLED"):
            load_config(project, environ={"VECTIMUS_RECEIPTS_ENABLED": "maybe"})

    def test_mcp_allowed_list(self, project: Path) -> None:
        settings = load_config(
            project, environ={"VECTIMUS_MCP_ALLOWED": "github, linear,,"}
        ).settings
        assert settings.mcp.allowed_servers == ("github", "linear")

    @pytest.mark.parametrize("name", sorted(ENVIRONMENT))
    def test_an_empty_variable_is_an_unset_one(self, project: Path, name: str) -> None:
        """compose's ``${VAR:-}`` and an empty Helm value pass ``VAR=``: never an error, and
        never a value (not even ``dir = "."``)."""
        assert load_config(project, environ={name: ""}).settings == (
            load_config(project, environ={}).settings
        )

    def test_an_empty_variable_keeps_the_file_value(
        self, vectimus_home: Path, project: Path
    ) -> None:
        user_config(
            vectimus_home, '[policies]\ndir = "/srv/packs"\n[mcp]\nallowed_servers = ["github"]\n'
        )
        env = {"VECTIMUS_POLICY_DIR": "", "VECTIMUS_MCP_ALLOWED": ""}
        settings = load_config(project, environ=env).settings
        assert settings.policies.dir == Path("/srv/packs")
        assert settings.mcp.allowed_servers == ("github",)
