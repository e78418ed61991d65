"""Run policy fixtures: recorded hook payloads with the outcome each must get.

A pack keeps its fixtures in ``<pack>/tests/*.jsonl``, one JSON object a line::

    {"name": "rm -rf ~ via Bash", "source": "claude-code", "payload": {...raw hook payload...},
     "expect": "deny", "rule": "vectimus-destructive-001"}

``expect`` is the decision the payload must get (allow, deny or escalate); ``rule`` is
required for deny and escalate and must be among the rules that matched. Two optional keys
set what the payload is evaluated with: ``mcp_allowed`` (the MCP servers on the allowlist;
default: the runner's) and ``home`` (the home directory written as ``~``; default
``/home/dev``); and ``session``, the calling session's counts with this call included
(``{"spawn_count": 11, "message_count": 0, "tool_call_count": 40}``, each optional; default:
nothing counted), judged against the default session limits. Script files a command runs
are never read from disk, so a fixture means the same on every machine.

A line that is not JSON, lacks a key or names an unknown source is itself a failure naming
the file and line. Used by ``vectimus test`` and by the test suite.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import msgspec

from vectimus.core.engine import Engine
from vectimus.core.engine.compile import compile_policies, load_policy_dirs, pack_dirs
from vectimus.core.errors import VectimusError
from vectimus.core.events import SOURCES, Identity
from vectimus.core.normalise import normalise
from vectimus.core.pipeline import Limits, Pipeline
from vectimus.core.sessions import SessionCounts

DEFAULT_HOME = "/home/dev"
IDENTITY = Identity(principal="vectimus-test", identity_type="agent")
OUTCOMES = ("allow", "deny", "escalate")
_REQUIRED = ("name", "source", "payload", "expect")
_OPTIONAL = ("rule", "mcp_allowed", "home", "session")
# Fixture "session" keys (the names of the context.session facts) -> SessionCounts fields.
_SESSION_KEYS = {
    "spawn_count": "spawns",
    "message_count": "messages",
    "tool_call_count": "tool_calls",
}


@dataclass(frozen=True)
class Fixture:
    file: str
    line: int
    name: str
    source: str
    payload: Any
    expect: str
    rule: str = ""
    mcp_allowed: tuple[str, ...] | None = None
    home: str = DEFAULT_HOME
    session: SessionCounts | None = None


@dataclass(frozen=True)
class Result:
    """One fixture's outcome. ``problem`` is set when the line itself is unusable."""

    file: str
    line: int
    name: str
    expected: str = ""
    rule: str = ""
    got: str = ""
    matched: tuple[str, ...] = ()
    reason: str = ""
    problem: str = ""

    @property
    def passed(self) -> bool:
        if self.problem or self.got != self.expected:
            return False
        return not self.rule or self.rule in self.matched

    def as_dict(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "line": self.line,
            "name": self.name,
            "expected": self.expected,
            "rule": self.rule,
            "got": self.got,
            "matched": list(self.matched),
            "reason": self.reason,
            "problem": self.problem,
            "passed": self.passed,
        }


@dataclass
class Report:
    results: list[Result] = field(default_factory=list)
    files: list[str] = field(default_factory=list)

    @property
    def failures(self) -> list[Result]:
        return [result for result in self.results if not result.passed]

    @property
    def ok(self) -> bool:
        return not self.failures


def fixture_files(policy_dirs: Iterable[Path]) -> list[Path]:
    """Every ``tests/*.jsonl`` file of every pack under ``policy_dirs``, in a fixed order."""
    files: list[Path] = []
    for root in policy_dirs:
        for pack in pack_dirs(root):
            files.extend(sorted((pack / "tests").glob("*.jsonl")))
    return files


def load_fixtures(path: Path) -> tuple[list[Fixture], list[Result]]:
    """The fixtures of one file, and a failed Result for every line that is not one."""
    fixtures: list[Fixture] = []
    broken: list[Result] = []
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        return [], [Result(file=str(path), line=0, name="", problem=f"cannot read: {exc}")]
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            fixtures.append(parse_fixture(line, str(path), number))
        except ValueError as exc:
            broken.append(Result(file=str(path), line=number, name="", problem=str(exc)))
    return fixtures, broken


def parse_fixture(line: str, file: str, number: int) -> Fixture:
    """One fixture line; ValueError says what is wrong with it."""
    try:
        data = json.loads(line)
    except ValueError as exc:
        raise ValueError(f"not valid JSON: {exc}") from None
    if not isinstance(data, dict):
        raise ValueError("a fixture must be a JSON object")
    missing = [key for key in _REQUIRED if key not in data]
    if missing:
        raise ValueError(f"missing key(s): {', '.join(missing)}")
    unknown = sorted(set(data) - set(_REQUIRED) - set(_OPTIONAL))
    if unknown:
        raise ValueError(f"unknown key(s): {', '.join(unknown)}")
    name, source, expect = data["name"], data["source"], data["expect"]
    rule = data.get("rule", "")
    if not isinstance(name, str) or not name:
        raise ValueError("'name' must be a non-empty string")
    if source not in SOURCES:
        raise ValueError(f"'source' must be one of {', '.join(SOURCES)}, not {source!r}")
    if expect not in OUTCOMES:
        raise ValueError(f"'expect' must be allow, deny or escalate, not {expect!r}")
    if not isinstance(rule, str):
        raise ValueError("'rule' must be a string")
    if expect != "allow" and not rule:
        raise ValueError(f"'rule' is required when 'expect' is {expect!r}")
    if expect == "allow" and rule:
        raise ValueError("'rule' is only for deny and escalate fixtures")
    allowed = data.get("mcp_allowed")
    if allowed is not None and (
        not isinstance(allowed, list) or not all(isinstance(s, str) for s in allowed)
    ):
        raise ValueError("'mcp_allowed' must be a list of server names")
    home = data.get("home", DEFAULT_HOME)
    if not isinstance(home, str):
        raise ValueError("'home' must be a string")
    session = _session(data.get("session"))
    return Fixture(
        file=file,
        line=number,
        name=name,
        source=source,
        payload=data["payload"],
        expect=expect,
        rule=rule,
        mcp_allowed=tuple(allowed) if allowed is not None else None,
        home=home,
        session=session,
    )


def _session(raw: Any) -> SessionCounts | None:
    if raw is None:
        return None
    if not isinstance(raw, dict) or set(raw) - set(_SESSION_KEYS):
        raise ValueError(f"'session' must be an object with keys {', '.join(_SESSION_KEYS)}")
    for key, value in raw.items():
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise ValueError(f"'session.{key}' must be a whole number, 0 or more")
    return msgspec.convert({_SESSION_KEYS[key]: value for key, value in raw.items()}, SessionCounts)


class Runner:
    """Evaluates fixtures against one engine, as the hook would (but reading no files)."""

    def __init__(self, engine: Engine, *, mcp_allowed: Iterable[str] = ()) -> None:
        self.engine = engine
        self.mcp_allowed = frozenset(mcp_allowed)
        self._pipelines: dict[tuple[frozenset[str], str], Pipeline] = {}

    def pipeline(self, fixture: Fixture) -> Pipeline:
        allowed = (
            frozenset(fixture.mcp_allowed) if fixture.mcp_allowed is not None else self.mcp_allowed
        )
        key = (allowed, fixture.home)
        found = self._pipelines.get(key)
        if found is None:
            limits = Limits(mcp_allowed=allowed, home=fixture.home)
            found = Pipeline(self.engine, limits, new_id=lambda: "test", read_file=None)
            self._pipelines[key] = found
        return found

    def run(self, fixture: Fixture) -> Result:
        base = Result(
            file=fixture.file,
            line=fixture.line,
            name=fixture.name,
            expected=fixture.expect,
            rule=fixture.rule,
        )
        try:
            event = normalise(fixture.source, fixture.payload, identity=IDENTITY)
        except VectimusError as exc:
            # The hook denies a payload it cannot read; so does a fixture.
            return _replace(base, got="deny", reason=f"payload not accepted: {exc}")
        decision = self.pipeline(fixture).evaluate(event, session=fixture.session)
        return _replace(
            base,
            got=decision.decision,
            matched=tuple(decision.matched_policy_ids),
            reason=decision.reason,
        )

    def run_files(self, files: Sequence[Path]) -> Report:
        report = Report(files=[str(f) for f in files])
        for path in files:
            fixtures, broken = load_fixtures(path)
            report.results.extend(broken)
            report.results.extend(self.run(fixture) for fixture in fixtures)
        report.results.sort(key=lambda r: (r.file, r.line))
        return report


def _replace(result: Result, **changes: Any) -> Result:
    return Result(**{**result.__dict__, **changes})


def engine_for(policy_dirs: Sequence[Path], *, check_requests: bool = True) -> Engine:
    """An engine over every pack in ``policy_dirs``, with no overrides (rules as written)."""
    return Engine(compile_policies(load_policy_dirs(policy_dirs)), check_requests=check_requests)


def run_packs(
    policy_dirs: Sequence[Path], *, mcp_allowed: Iterable[str] = (), check_requests: bool = True
) -> Report:
    """Compile every pack under ``policy_dirs`` together and run all of their fixtures."""
    engine = engine_for(policy_dirs, check_requests=check_requests)
    return Runner(engine, mcp_allowed=mcp_allowed).run_files(fixture_files(policy_dirs))


def describe(result: Result) -> str:
    """Two lines for a failed result: where, then what was expected and what came instead."""
    where = f"{result.file}:{result.line}" + (f"  {result.name}" if result.name else "")
    if result.problem:
        return f"FAIL {where}\n     {result.problem}"
    expected = result.expected + (f" ({result.rule})" if result.rule else "")
    matched = ", ".join(result.matched) or "no rule"
    return f"FAIL {where}\n     expected {expected}; got {result.got}, matched: {matched}"
