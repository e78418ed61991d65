from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import POLICIES
from vectimus.core.engine.compile import compile_policies, load_policy_dirs
from vectimus.core.engine.statements import split_statements
from vectimus.core.errors import PolicyLoadError

GOOD = """@id("t-001")
@description("no rm")
forbid (principal, action == Vectimus::Action::"shell_command", resource)
when { context.program == "rm" };
"""


def write_pack(root: Path, text: str, name: str = "t", manifest: str | None = None) -> Path:
    pack = root / name
    pack.mkdir(parents=True)
    (pack / "pack.toml").write_text(manifest or f'name = "{name}"\nversion = "1.2.3"\n')
    (pack / "rules.cedar").write_text(text)
    return root


def compile_dir(root: Path):
    return compile_policies(load_policy_dirs([root]))


class TestBundled:
    def test_bundled_packs_compile_with_unique_ids_and_descriptions(self) -> None:
        compiled = compile_dir(POLICIES)
        assert len(compiled.rules) >= 10
        for rule in compiled.rules.values():
            assert rule.id.startswith("vectimus-")
            assert rule.description
            assert rule.file.endswith(".cedar") and rule.line > 0

    def test_hash_is_stable_and_changes_with_text(self, tmp_path: Path) -> None:
        a = compile_dir(write_pack(tmp_path / "a", GOOD))
        b = compile_dir(write_pack(tmp_path / "b", GOOD))
        c = compile_dir(write_pack(tmp_path / "c", GOOD.replace('"rm"', '"rmdir"')))
        assert a.policy_set_hash == b.policy_set_hash != c.policy_set_hash


class TestAnnotations:
    def test_annotations_are_read(self, tmp_path: Path) -> None:
        text = """@id("t-002")
@description("d")
@suggested_alternative("alt")
@incident("inc")
@controls("SOC2-CC6.1, NIST-AC-3")
@enforcement("escalate")
forbid (principal, action in [Vectimus::Action::"file_read", Vectimus::Action::"file_write"], resource)
when { context.file_path == "x" };
"""
        rule = compile_dir(write_pack(tmp_path, text)).rules["t-002"]
        assert (rule.description, rule.suggested_alternative, rule.incident) == ("d", "alt", "inc")
        assert rule.controls == ("SOC2-CC6.1", "NIST-AC-3")
        assert rule.enforcement == "escalate"
        assert rule.actions == ("file_read", "file_write")
        assert rule.pack == "t"

    def test_unscoped_rule_applies_to_every_action(self, tmp_path: Path) -> None:
        text = (
            '@id("t-all")\nforbid (principal, action, resource) when { context.source == "x" };\n'
        )
        assert len(compile_dir(write_pack(tmp_path, text)).rules["t-all"].actions) == 10


class TestFailedLoads:
    @pytest.mark.parametrize(
        ("text", "needle"),
        [
            (
                GOOD
                + '\n\n@id("t-bad")\nforbid (principal, action, resource) when { context.x == };\n',
                ":7: Cedar parse error",
            ),
            (
                GOOD
                + '\n@id("t-bad")\nforbid (principal, action == Vectimus::Action::"shell_command", resource)\n'
                'when { context.file_path == "x" };\n',
                ":6: rule t-bad fails schema validation",
            ),
            ("forbid (principal, action, resource);\n", "needs an @id"),
            ('@id("p")\npermit (principal, action, resource);\n', "is a permit"),
            (GOOD + GOOD, "duplicate rule id 't-001'"),
            (
                '@id("e")\n@enforcement("maybe")\nforbid (principal, action, resource);\n',
                "@enforcement must be one of",
            ),
        ],
    )
    def test_errors_name_file_line_and_problem(
        self, tmp_path: Path, text: str, needle: str
    ) -> None:
        with pytest.raises(PolicyLoadError) as info:
            compile_dir(write_pack(tmp_path, text))
        assert "rules.cedar" in str(info.value)
        assert needle in str(info.value)

    def test_bad_manifest(self, tmp_path: Path) -> None:
        with pytest.raises(PolicyLoadError, match="unknown key"):
            compile_dir(write_pack(tmp_path, GOOD, manifest='name = "t"\nversion = "1"\nfoo = 1\n'))
        with pytest.raises(PolicyLoadError, match="'version' must be"):
            compile_dir(write_pack(tmp_path / "v", GOOD, manifest='name = "t"\n'))

    def test_missing_directory(self, tmp_path: Path) -> None:
        with pytest.raises(PolicyLoadError, match="does not exist"):
            load_policy_dirs([tmp_path / "nope"])

    def test_disabled_pack_is_not_loaded(self, tmp_path: Path) -> None:
        write_pack(tmp_path, GOOD)
        assert load_policy_dirs([tmp_path], disabled_packs=["t"]) == []


class TestStatements:
    def test_lines_ignore_comments_and_strings(self) -> None:
        text = '// a; comment\n@id("a;b")\nforbid (principal, action, resource)\n when { context.s == "}{;" };\n\n@id("c")\nforbid (principal, action, resource);\n'
        assert [line for line, _ in split_statements(text)] == [2, 6]
