"""Every bundled pack's fixtures pass, and every rule is covered by them.

The same logic as `vectimus test`, so `make test` fails when a rule regresses.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from tests.conftest import POLICIES
from tests.packs.rules_table import current_table, rules_table
from vectimus.core.engine.compile import pack_dirs
from vectimus.core.packtest import Runner, describe, engine_for, fixture_files, load_fixtures

SIX_SOURCES = {"claude-code", "claude-agent-sdk", "cursor", "copilot", "gemini-cli", "codex"}
FILES = fixture_files([POLICIES])


@pytest.fixture(scope="module")
def runner() -> Runner:
    # check_requests: every request the pipeline builds is validated against the schema.
    return Runner(engine_for([POLICIES], check_requests=True))


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.parent.parent.name)
def test_pack_fixtures_pass(runner: Runner, path: Path) -> None:
    report = runner.run_files([path])
    assert report.results
    assert report.ok, "\n" + "\n".join(describe(result) for result in report.failures)


def test_every_pack_has_fixtures() -> None:
    with_tests = {path.parent.parent for path in FILES}
    assert set(pack_dirs(POLICIES)) == with_tests


def test_every_rule_has_two_matching_fixtures_and_its_pack_allows(runner: Runner) -> None:
    rules = runner.engine.rules
    named: Counter[str] = Counter()
    allows: Counter[str] = Counter()
    sources: set[str] = set()
    for path in FILES:
        fixtures, broken = load_fixtures(path)
        assert not broken, [describe(result) for result in broken]
        for fixture in fixtures:
            sources.add(fixture.source)
            pack = path.parent.parent.name
            if fixture.expect == "allow":
                allows[pack] += 1
                continue
            assert fixture.rule in rules, f"{path}:{fixture.line} names unknown {fixture.rule}"
            assert fixture.expect == rules[fixture.rule].enforcement, (
                f"{path}:{fixture.line} expects {fixture.expect} from a "
                f"{rules[fixture.rule].enforcement} rule"
            )
            named[fixture.rule] += 1
    thin = {rule: named[rule] for rule in rules if named[rule] < 2}
    assert not thin, f"rules with fewer than two deny/escalate fixtures: {thin}"
    per_pack = Counter(rule.pack for rule in rules.values())
    short = {pack: allows[pack] for pack, count in per_pack.items() if allows[pack] < count}
    assert not short, f"packs with fewer allow fixtures than rules: {short}"
    assert sources >= SIX_SOURCES


def test_the_rule_table_in_the_docs_is_current() -> None:
    doc = (POLICIES.parent / "docs" / "policies.md").read_text(encoding="utf-8")
    assert current_table(doc) == rules_table(POLICIES), (
        "docs/policies.md is out of date: run `python -m tests.packs.rules_table`"
    )
