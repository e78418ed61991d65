"""The rule prefilter: sound three-valued predicates, and the same verdicts as without it."""

from __future__ import annotations

import json
from pathlib import Path

import cedarpy
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import POLICIES
from vectimus.core.engine import Engine
from vectimus.core.engine.compile import compile_policies, load_policy_dirs
from vectimus.core.engine.index import ActionIndex, guard_of, predicate_of
from vectimus.core.events import Identity
from vectimus.core.normalise import normalise
from vectimus.core.packtest import fixture_files, load_fixtures
from vectimus.core.pipeline import Limits
from vectimus.core.pipeline.expand import expand

REPO = POLICIES.parent
AGENT = Identity(principal="dev")


def body(condition: str) -> dict:
    text = f"forbid (principal, action, resource) when {{ {condition} }};"
    return json.loads(cedarpy.policies_to_json_str(text))["staticPolicies"]["policy0"]


@pytest.mark.parametrize(
    ("condition", "context", "expected"),
    [
        ('context.program == "rm"', {"program": "rm"}, True),
        ('context.program == "rm"', {"program": "ls"}, False),
        ('context.program == "rm"', {"program": 7}, None),
        ('context.program != "rm"', {"program": "ls"}, True),
        ('["a", "b"].contains(context.program)', {"program": "b"}, True),
        ('["a", "b"].contains(context.program)', {"program": "c"}, False),
        ('context.args.contains("x")', {"args": ["x", "y"]}, True),
        ('context.args.containsAny(["q", "y"])', {"args": ["x", "y"]}, True),
        ('context.args.containsAll(["x", "z"])', {"args": ["x", "y"]}, False),
        ("context.args.isEmpty()", {"args": []}, True),
        ("context.args.containsAny(context.other)", {"args": ["a"], "other": ["a"]}, True),
        ("context.args.containsAny(context.other)", {"args": ["a"], "other": ["b"]}, False),
        ('context.path like "*/.env*"', {"path": "/p/.env.local"}, True),
        ('context.path like "*/.env"', {"path": "/p/.env.local"}, False),
        ('context.path like "/dev/sd*"', {"path": "/dev/sda"}, True),
        ('context.path like "*a*b*"', {"path": "xaxxbx"}, True),
        ('context.path like "*a*b*"', {"path": "xbxxax"}, False),
        ('context.path like "*.env\\*"', {"path": "x.env*"}, True),
        ('context.path like "*.env\\*"', {"path": "x.envrc"}, False),
        ('context.path like "exact"', {"path": "exact"}, True),
        ("context.flag", {"flag": True}, True),
        ("!context.flag", {"flag": True}, False),
        ("context.n > context.m", {"n": 3, "m": 2}, True),
        ("context.n > context.m", {"n": 1, "m": 2}, False),
        # Unknown shapes answer None, never False: the rule goes to Cedar.
        ('principal.persona == "x"', {}, None),
        ('principal.persona == "x" && context.program == "rm"', {"program": "ls"}, False),
        ('principal.persona == "x" || context.program == "rm"', {"program": "ls"}, None),
        ('principal.persona == "x" || context.program == "rm"', {"program": "rm"}, True),
        ('context has program && context.program == "rm"', {"program": "rm"}, None),
        ('if context.flag then context.program == "rm" else false', {"flag": True}, None),
        ('context.path like "*x*"', {"path": None}, None),
        ('context.args.containsAny(["a"])', {"args": "a"}, None),
    ],
)
def test_predicate_answers(condition: str, context: dict, expected: bool | None) -> None:
    assert predicate_of(body(condition))(context) is expected


def test_unless_is_negated() -> None:
    text = "forbid (principal, action, resource) when { context.a } unless { context.b };"
    parsed = json.loads(cedarpy.policies_to_json_str(text))["staticPolicies"]["policy0"]
    predicate = predicate_of(parsed)
    assert predicate({"a": True, "b": True}) is False
    assert predicate({"a": True, "b": False}) is True


def test_program_guards() -> None:
    assert guard_of(body('context.program == "rm" && context.flags.contains("-r")')).names == {"rm"}
    either = guard_of(body('context.program == "a" || ["b", "c"].contains(context.program)'))
    assert either is not None and either.names == {"a", "b", "c"}
    assert guard_of(body('context.program == "a" || context.dynamic')) is None
    pattern = guard_of(body('context.program like "mkfs*"'))
    assert pattern is not None and pattern.patterns[0].fullmatch("mkfs.ext4")
    index = ActionIndex.build(
        [("r-rm", body('context.program == "rm"')), ("r-any", body("context.dynamic"))]
    )
    assert index.candidates("rm") == ("r-rm", "r-any")
    assert index.candidates("ls") == ("r-any",)
    assert index.candidates(None) == ("r-rm", "r-any")


@pytest.fixture(scope="module")
def engines() -> tuple[Engine, Engine]:
    compiled = compile_policies(load_policy_dirs([POLICIES]))
    return Engine(compiled), Engine(compiled, prefilter=False)


def _requests(source: str, payload: object, home: str) -> list:
    try:
        event = normalise(source, payload, identity=AGENT)
    except Exception:  # noqa: BLE001 - bad payloads are not this test's business
        return []
    return expand(event, Limits(home=home, mcp_allowed=frozenset({"github"}))).requests


def test_prefilter_matches_cedar_on_every_fixture(engines) -> None:
    """Every fixture and corpus line: the same rules match with and without the prefilter."""
    indexed, plain = engines
    files = [
        *fixture_files([POLICIES]),
        *sorted((REPO / "tests" / "corpus" / "false_positives").glob("*.jsonl")),
    ]
    checked = 0
    for path in files:
        fixtures, broken = load_fixtures(path)
        assert not broken
        for fixture in fixtures:
            for request in _requests(fixture.source, fixture.payload, fixture.home):
                a = indexed.evaluate(AGENT, [request])
                b = plain.evaluate(AGENT, [request])
                assert (set(a.matched), a.outcome, a.error) == (
                    set(b.matched),
                    b.outcome,
                    b.error,
                ), (fixture.name, request)
                checked += 1
    assert checked > 800


WORDS = st.sampled_from(
    [
        "rm", "-rf", "/", "~", ".", "..", "curl", "wget", "|", "sh", "bash", "&&", "git", "push",
        "-f", "origin", "main", "+main", "HEAD:main", "sudo", "terraform", "destroy", "apply",
        "-auto-approve", "kubectl", "delete", "ns", "--all", "cat", ".env", "~/.ssh/id_rsa",
        "npm", "publish", "install", "https://webhook.site/x", "http://169.254.169.254/",
        "psql", "-c", "'DROP TABLE x'", "nc", "-e", "python3", "$(curl x)", "vectimus", "rule",
        "find", "-delete", "chmod", "-R", "777", "dd", "of=/dev/sda", ">", "~/.bashrc", "eval",
        "pip", "--index-url", "x", "prisma", "migrate", "reset", "DATABASE_URL=postgres://h/d",
    ]
)  # fmt: skip


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(words=st.lists(WORDS, min_size=1, max_size=8))
def test_prefilter_matches_cedar_on_random_commands(engines, words: list[str]) -> None:
    indexed, plain = engines
    payload = {
        "cwd": "/home/dev/p",
        "tool_name": "Bash",
        "tool_input": {"command": " ".join(words)},
    }
    for request in _requests("claude-code", payload, "/home/dev"):
        a, b = indexed.evaluate(AGENT, [request]), plain.evaluate(AGENT, [request])
        assert (set(a.matched), a.outcome) == (set(b.matched), b.outcome), request


def test_policy_sets_are_built_from_text(engines, tmp_path: Path) -> None:
    indexed, _ = engines
    assert set(indexed.compiled.texts) == set(indexed.compiled.rules)
