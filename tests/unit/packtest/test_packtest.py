"""Fixture files: parsing, failures that name file and line, and `vectimus test`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from vectimus.cli.main import main
from vectimus.core.packtest import (
    DEFAULT_HOME,
    Runner,
    describe,
    engine_for,
    fixture_files,
    load_fixtures,
    parse_fixture,
    run_packs,
)

RULE = """@id("team-001")
@description("No touching prod.txt")
forbid (principal, action == Vectimus::Action::"file_read", resource)
when { context.file_path like "*/prod.txt" };

@id("team-002")
@enforcement("escalate")
forbid (principal, action == Vectimus::Action::"shell_command", resource)
when { context.program == "deploy" };
"""


def bash(command: str) -> dict:
    return {"cwd": "/home/dev/p", "tool_name": "Bash", "tool_input": {"command": command}}


def fixture(name: str, payload: dict, expect: str, rule: str = "", **extra: object) -> str:
    line = {"name": name, "source": "claude-code", "payload": payload, "expect": expect}
    if rule:
        line["rule"] = rule
    line.update(extra)
    return json.dumps(line)


def make_pack(root: Path, lines: list[str], name: str = "team") -> Path:
    pack = root / name
    (pack / "tests").mkdir(parents=True)
    (pack / "pack.toml").write_text(f'name = "{name}"\nversion = "1.0.0"\ndescription = "x"\n')
    (pack / "rules.cedar").write_text(RULE)
    (pack / "tests" / "team.jsonl").write_text("\n".join(lines) + "\n")
    return root


class TestParse:
    def test_a_good_line(self) -> None:
        parsed = parse_fixture(fixture("x", bash("ls"), "allow"), "f.jsonl", 3)
        assert (parsed.file, parsed.line, parsed.expect, parsed.home) == (
            "f.jsonl",
            3,
            "allow",
            DEFAULT_HOME,
        )

    @pytest.mark.parametrize(
        ("line", "problem"),
        [
            ("{broken", "not valid JSON"),
            ("[1, 2]", "must be a JSON object"),
            (
                '{"name": "x", "source": "claude-code", "expect": "allow"}',
                "missing key(s): payload",
            ),
            (fixture("x", {}, "deny"), "'rule' is required"),
            (fixture("x", {}, "allow", "r-1"), "only for deny and escalate"),
            (fixture("x", {}, "block", "r-1"), "'expect' must be allow, deny or escalate"),
            (fixture("x", {}, "allow", expected="deny"), "unknown key(s): expected"),
            (
                json.dumps({"name": "x", "source": "vim", "payload": {}, "expect": "allow"}),
                "'source' must be one of",
            ),
            (fixture("x", {}, "allow", mcp_allowed="github"), "'mcp_allowed' must be a list"),
        ],
    )
    def test_bad_lines_say_what_is_wrong(self, line: str, problem: str) -> None:
        with pytest.raises(ValueError, match=problem.replace("(", r"\(").replace(")", r"\)")):
            parse_fixture(line, "f.jsonl", 1)

    def test_bad_lines_become_failures_naming_file_and_line(self, tmp_path: Path) -> None:
        path = tmp_path / "x.jsonl"
        path.write_text(fixture("ok", bash("ls"), "allow") + "\n\n{nope\n")
        fixtures, broken = load_fixtures(path)
        assert len(fixtures) == 1
        assert [(b.file, b.line) for b in broken] == [(str(path), 3)]
        assert not broken[0].passed
        assert describe(broken[0]).startswith(f"FAIL {path}:3")


class TestRun:
    def test_outcomes_and_rules_are_compared(self, tmp_path: Path) -> None:
        root = make_pack(
            tmp_path,
            [
                fixture(
                    "reads prod",
                    {"cwd": "/p", "tool_name": "Read", "tool_input": {"file_path": "/p/prod.txt"}},
                    "deny",
                    "team-001",
                ),
                fixture("deploys", bash("deploy now"), "escalate", "team-002"),
                fixture("lists", bash("ls"), "allow"),
                fixture("wrong rule", bash("deploy"), "escalate", "team-001"),
                fixture("wrong outcome", bash("ls"), "deny", "team-002"),
            ],
        )
        report = run_packs([root])
        assert [r.name for r in report.failures] == ["wrong rule", "wrong outcome"]
        wrong = report.failures[1]
        assert (wrong.expected, wrong.rule, wrong.got, wrong.matched) == (
            "deny",
            "team-002",
            "allow",
            (),
        )
        text = describe(report.failures[0])
        assert "expected escalate (team-001); got escalate, matched: team-002" in text

    def test_a_payload_the_source_rejects_is_a_deny(self, tmp_path: Path) -> None:
        root = make_pack(tmp_path, [fixture("not a call", {"x": 1}, "allow")])
        result = run_packs([root]).results[0]
        assert result.got == "deny" and "payload not accepted" in result.reason

    def test_mcp_allowlist_per_fixture_and_default(self, tmp_path: Path) -> None:
        call = {"cwd": "/p", "tool_name": "mcp__github__create_issue", "tool_input": {}}
        (tmp_path / "mcp.cedar").write_text(
            '@id("m")\nforbid (principal, action == Vectimus::Action::"mcp_tool", resource)\n'
            "when { !context.mcp_server_allowed };\n"
        )
        engine = engine_for([tmp_path])
        allowed = parse_fixture(fixture("a", call, "allow", mcp_allowed=["github"]), "f", 1)
        default = parse_fixture(fixture("b", call, "deny", "m"), "f", 2)
        assert Runner(engine).run(allowed).passed
        assert Runner(engine).run(default).passed
        assert not Runner(engine, mcp_allowed=["github"]).run(default).passed

    def test_fixture_files_are_found_per_pack(self, tmp_path: Path) -> None:
        root = make_pack(tmp_path, [fixture("lists", bash("ls"), "allow")])
        assert fixture_files([root]) == [root / "team" / "tests" / "team.jsonl"]


class TestCommand:
    def test_bundled_packs_pass(self, capsys: pytest.CaptureFixture[str]) -> None:
        assert main(["test"]) == 0
        out = capsys.readouterr().out
        assert "0 failed" in out

    def test_user_pack_failures_are_shown(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        root = make_pack(
            tmp_path,
            [
                fixture("deploys", bash("deploy now"), "escalate", "team-002"),
                fixture("should be denied", bash("ls -la"), "deny", "team-002"),
                "{not json",
            ],
        )
        assert main(["test", "--policy-dir", str(root)]) == 1
        out = capsys.readouterr().out
        assert "FAIL " + str(root / "team" / "tests" / "team.jsonl") + ":2  should be denied" in out
        assert "expected deny (team-002); got allow, matched: no rule" in out
        assert ":3" in out and "not valid JSON" in out
        assert "2 failed" in out

    def test_json_output(self, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        root = make_pack(tmp_path, [fixture("bad", bash("ls"), "deny", "team-001")])
        assert main(["test", "--policy-dir", str(root), "--format", "json"]) == 1
        summary = json.loads(capsys.readouterr().out)
        assert summary["failed"] == 1
        (failure,) = summary["failures"]
        assert (failure["expected"], failure["rule"], failure["got"]) == (
            "deny",
            "team-001",
            "allow",
        )

    def test_broken_policies_exit_2(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        pack = tmp_path / "broken"
        pack.mkdir()
        (pack / "bad.cedar").write_text("forbid (principal, action, resource) when { nope };\n")
        assert main(["test", "--policy-dir", str(tmp_path)]) == 2
        assert "cannot load the policies" in capsys.readouterr().err
