"""Every attempt in the adversarial corpus is denied or escalated by the bundled packs.

The corpus (``attempts/*.jsonl``, described in :mod:`tests.adversarial.corpus`) holds real
hook payloads from every source that try to get a dangerous action past the policies:
chaining, wrappers, encodings, indirection, quoting, look-alike characters, path tricks,
write-then-execute, Windows forms, MCP tool names and each tool's other field names. The
false-positive corpus (tests/corpus) checks the other side: everyday calls stay allowed.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.adversarial.corpus import (
    ATTEMPTS,
    Outcome,
    by_technique,
    describe,
    evaluate,
    load_attempts,
    make_runner,
    parse_attempt,
)
from vectimus.core.packtest import Runner

FILES = sorted(ATTEMPTS.glob("*.jsonl"))
# The techniques issue 8 names; each has at least one file of its own.
REQUIRED = {
    "chaining", "nesting", "wrappers", "encodings", "variable-indirection", "aliases-functions",
    "ifs", "globbing", "quoting", "unicode", "paths", "write-then-execute",
    "windows-powershell", "mcp-tool-names", "mcp-arguments", "field-names",
}  # fmt: skip
SIX_SOURCES = {"claude-code", "claude-agent-sdk", "cursor", "copilot", "gemini-cli", "codex"}


@pytest.fixture(scope="module")
def runner() -> Runner:
    return make_runner()


@pytest.fixture(scope="module")
def outcomes(runner: Runner) -> list[Outcome]:
    return evaluate(runner, load_attempts())


def test_corpus_is_large_and_covers_every_technique_and_source() -> None:
    attempts = load_attempts()
    assert len(attempts) >= 200
    assert {path.stem for path in FILES} >= REQUIRED
    assert all(attempt.technique == Path(attempt.file).stem for attempt in attempts)
    assert {attempt.source for attempt in attempts} >= SIX_SOURCES
    names = [(attempt.technique, attempt.name) for attempt in attempts]
    assert len(names) == len(set(names)), "attempt names repeat within a technique"


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.stem)
def test_attempts_get_their_decision(outcomes: list[Outcome], path: Path) -> None:
    mine = [outcome for outcome in outcomes if outcome.attempt.file == str(path)]
    assert mine
    wrong = [describe(outcome) for outcome in mine if not outcome.as_expected]
    assert not wrong, "\n" + "\n".join(wrong)


def test_catch_rate_is_total(outcomes: list[Outcome]) -> None:
    missed = [describe(outcome) for outcome in outcomes if not outcome.caught]
    table = ", ".join(f"{t} {c}/{n}" for t, (c, n) in by_technique(outcomes).items())
    assert not missed, f"caught {len(outcomes) - len(missed)}/{len(outcomes)} ({table}):\n" + (
        "\n".join(missed)
    )


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        ("not json", "not valid JSON"),
        ("[1]", "must be a JSON object"),
        ('{"technique": "x", "name": "n", "source": "cursor", "payload": {}}', "missing"),
        (
            '{"technique": "x", "name": "n", "source": "cursor", "payload": {}, "expect": "allow"}',
            "must be deny or escalate",
        ),
        (
            '{"technique": "x", "name": "n", "source": "vim", "payload": {}, "expect": "deny"}',
            "unknown source",
        ),
    ],
)
def test_a_bad_corpus_line_is_named(line: str, problem: str) -> None:
    with pytest.raises(ValueError, match=problem) as caught:
        parse_attempt(line, "attempts/x.jsonl", 7)
    assert "attempts/x.jsonl:7" in str(caught.value)
