"""`vectimus rule|pack|mcp`: validated input, user-level config only, clear messages."""

from __future__ import annotations

from pathlib import Path

import pytest
import tomlkit

from vectimus.cli.main import main

USER = "# mine\nobserve = false  # keep blocking\n\n[rules]\ndisabled = []  # none yet\n"


@pytest.fixture
def config(vectimus_home: Path) -> Path:
    path = vectimus_home / "config.toml"
    path.write_text(USER)
    return path


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    status = main(list(argv))
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def test_rule_list_and_show(config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run(capsys, "rule", "list")
    assert status == 0
    line = next(row for row in out.splitlines() if row.startswith("vectimus-infra-007 "))
    assert line.split()[1:3] == ["infrastructure", "escalate"]
    status, out, _ = run(capsys, "rule", "show", "vectimus-destructive-001")
    assert status == 0
    assert "policies/destructive-ops/delete.cedar:" in out
    for field in ("description:", "suggested_alternative:", "incident:", "controls:", "effective:"):
        assert field in out


def test_rule_disable_enable_and_no_change(
    config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(capsys, "rule", "disable", "vectimus-git-001")[1].startswith(
        "disabled vectimus-git-001 in"
    )
    assert "no change" in run(capsys, "rule", "disable", "vectimus-git-001")[1]
    text = config.read_text()
    assert "# mine" in text and "# keep blocking" in text
    assert tomlkit.parse(text)["rules"]["disabled"] == ["vectimus-git-001"]
    _, out, _ = run(capsys, "rule", "list")
    assert "vectimus-git-001" in out and " off " in next(
        row for row in out.splitlines() if row.startswith("vectimus-git-001 ")
    )
    assert run(capsys, "rule", "enable", "vectimus-git-001")[1].startswith("enabled")
    assert "no change" in run(capsys, "rule", "enable", "vectimus-git-001")[1]


def test_rule_enforce(config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run(capsys, "rule", "enforce", "vectimus-infra-007", "--level", "deny")
    assert (status, out.split(" in ")[0]) == (
        0,
        "vectimus-infra-007 now enforces deny (was escalate)",
    )
    assert tomlkit.parse(config.read_text())["rules"]["enforcement"]["vectimus-infra-007"] == "deny"
    assert "effective:             deny" in run(capsys, "rule", "show", "vectimus-infra-007")[1]
    assert "no change" in run(capsys, "rule", "enforce", "vectimus-infra-001", "--level", "deny")[1]


def test_unknown_rule_and_pack_are_errors(config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, _, err = run(capsys, "rule", "disable", "vectimus-git-01")
    assert status == 1
    assert "unknown rule id 'vectimus-git-01' (did you mean vectimus-git-001?)" in err
    status, _, err = run(capsys, "pack", "disable", "secret")
    assert status == 1 and "unknown pack 'secret'" in err
    assert config.read_text() == USER


def test_pack_disable_enable_list(config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys, "pack", "disable", "mcp-safety")[1].startswith("disabled pack mcp-safety")
    assert "no change" in run(capsys, "pack", "disable", "mcp-safety")[1]
    _, out, _ = run(capsys, "pack", "list")
    row = next(line for line in out.splitlines() if line.startswith("mcp-safety"))
    assert "disabled" in row
    _, out, _ = run(capsys, "rule", "list")
    assert " off " in next(line for line in out.splitlines() if line.startswith("vectimus-mcp-001"))
    assert run(capsys, "pack", "enable", "mcp-safety")[1].startswith("enabled pack mcp-safety")


def test_mcp_allow_deny_list(config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys, "mcp", "allow", "github")[1].startswith("allowed MCP server github in")
    assert "no change" in run(capsys, "mcp", "allow", "github")[1]
    assert "  github" in run(capsys, "mcp", "list")[1]
    assert run(capsys, "mcp", "deny", "github")[1].startswith("removed MCP server github")
    assert "no change" in run(capsys, "mcp", "deny", "github")[1]
    status, _, err = run(capsys, "mcp", "allow", "a,b")
    assert status == 1 and "comma" in err
    assert "# mine" in config.read_text()


def test_only_the_user_config_is_written(
    config: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    project = tmp_path / "project"
    (project / ".vectimus").mkdir(parents=True)
    project_config = project / ".vectimus" / "config.toml"
    project_config.write_text('[rules.enforcement]\n"vectimus-infra-007" = "deny"\n')
    monkeypatch.chdir(project)
    assert run(capsys, "rule", "disable", "vectimus-infra-007")[0] == 0
    assert project_config.read_text() == '[rules.enforcement]\n"vectimus-infra-007" = "deny"\n'
    assert "vectimus-infra-007" in config.read_text()


def test_a_broken_user_config_is_reported(
    vectimus_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (vectimus_home / "config.toml").write_text("[rules\n")
    status, _, err = run(capsys, "rule", "disable", "vectimus-git-001")
    assert status == 2 and "config.toml" in err
