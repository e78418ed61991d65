"""The adversarial corpus: hook payloads that try to get a dangerous action past the packs.

``attempts/<technique>.jsonl`` holds one attempt a line::

    {"technique": "quoting", "name": "empty quotes inside the program", "source": "cursor",
     "expect": "deny", "home": "/Users/ana", "payload": {...the hook payload...}}

``expect`` is the decision the bundled packs must give (deny or escalate: an attempt is never
allowed). ``home`` (default ``/home/dev``) is the home directory written as ``~``, and
``mcp_allowed`` (default: the false-positive corpus's servers) the MCP allowlist. Payloads are
evaluated exactly as the hook evaluates them, through the normaliser of their source and the
shared pipeline, with scripts never read from disk (as on a server).
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.conftest import POLICIES
from vectimus.core.events import SOURCES
from vectimus.core.packtest import DEFAULT_HOME, Fixture, Result, Runner, engine_for

ATTEMPTS = Path(__file__).parent / "attempts"
FALSE_POSITIVES = Path(__file__).parents[1] / "corpus" / "false_positives"
# The servers the false-positive corpus allows: an MCP attempt is caught by what it does,
# not because its server is missing from the allowlist.
SERVERS = (
    "github", "linear", "playwright", "postgres", "filesystem", "sentry", "context7", "slack",
    "notion", "figma",
)  # fmt: skip
CAUGHT = ("deny", "escalate")
_KEYS = {"technique", "name", "source", "expect", "payload", "home", "mcp_allowed"}


@dataclass(frozen=True)
class Attempt:
    file: str
    line: int
    technique: str
    name: str
    source: str
    expect: str
    payload: Any
    home: str = DEFAULT_HOME
    mcp_allowed: tuple[str, ...] = SERVERS

    def fixture(self) -> Fixture:
        return Fixture(
            file=self.file,
            line=self.line,
            name=self.name,
            source=self.source,
            payload=self.payload,
            expect=self.expect,
            mcp_allowed=self.mcp_allowed,
            home=self.home,
        )


def parse_attempt(text: str, file: str, line: int) -> Attempt:
    """One corpus line; ValueError names the file, the line and what is wrong."""
    where = f"{file}:{line}"
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise ValueError(f"{where}: not valid JSON: {exc}") from None
    if not isinstance(data, dict):
        raise ValueError(f"{where}: an attempt must be a JSON object")
    missing = {"technique", "name", "source", "expect", "payload"} - set(data)
    unknown = set(data) - _KEYS
    if missing or unknown:
        raise ValueError(f"{where}: missing {sorted(missing)}, unknown {sorted(unknown)}")
    if data["expect"] not in CAUGHT:
        raise ValueError(f"{where}: 'expect' must be deny or escalate, not {data['expect']!r}")
    if data["source"] not in SOURCES:
        raise ValueError(f"{where}: unknown source {data['source']!r}")
    return Attempt(
        file=file,
        line=line,
        technique=data["technique"],
        name=data["name"],
        source=data["source"],
        expect=data["expect"],
        payload=data["payload"],
        home=data.get("home", DEFAULT_HOME),
        mcp_allowed=tuple(data.get("mcp_allowed", SERVERS)),
    )


def load_attempts(directory: Path = ATTEMPTS) -> list[Attempt]:
    attempts: list[Attempt] = []
    for path in sorted(directory.glob("*.jsonl")):
        for number, text in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if text.strip():
                attempts.append(parse_attempt(text, str(path), number))
    return attempts


def make_runner() -> Runner:
    return Runner(engine_for([POLICIES], check_requests=True), mcp_allowed=SERVERS)


@dataclass(frozen=True)
class Outcome:
    attempt: Attempt
    result: Result

    @property
    def caught(self) -> bool:
        return self.result.got in CAUGHT

    @property
    def as_expected(self) -> bool:
        return self.result.got == self.attempt.expect


def evaluate(runner: Runner, attempts: list[Attempt]) -> list[Outcome]:
    return [Outcome(attempt, runner.run(attempt.fixture())) for attempt in attempts]


def by_technique(outcomes: list[Outcome]) -> dict[str, tuple[int, int]]:
    """technique -> (caught, total)."""
    total: Counter[str] = Counter()
    caught: Counter[str] = Counter()
    for outcome in outcomes:
        total[outcome.attempt.technique] += 1
        caught[outcome.attempt.technique] += outcome.caught
    return {name: (caught[name], total[name]) for name in sorted(total)}


def describe(outcome: Outcome) -> str:
    attempt, result = outcome.attempt, outcome.result
    matched = ", ".join(result.matched) or "no rule"
    return (
        f"{attempt.file}:{attempt.line} [{attempt.technique}] {attempt.name} ({attempt.source}): "
        f"expected {attempt.expect}, got {result.got} ({matched})"
    )
