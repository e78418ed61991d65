"""ReDoS: every compiled regex in vectimus.core against inputs shaped to make it backtrack.

The patterns are found, not listed: each module of vectimus.core is imported and every
``re.Pattern`` in its globals, in its classes, and one container deep (tables of patterns)
is collected. How the code calls each one is read from the source: a pattern only ever
used with ``match``/``fullmatch`` is tried anchored, any other (``search``, ``finditer``,
``sub`` ..., or a use that cannot be seen) is tried at every position as well. Inputs are
repetitions of the pattern's own punctuation, of pairs of it and of classic catastrophic
shapes, each followed by a tail that fails the match; 8n characters must cost a linear
multiple of n.
"""

from __future__ import annotations

import importlib
import pkgutil
import re
import string
from itertools import islice, permutations
from pathlib import Path

import pytest

import vectimus.core as core
from tests.fuzz.scaling import assert_linear

_N = 600
_GENERIC = ["a", " ", "\\", "'", '"', "/", ".", "-", "$", "{", "(", "=", "0", "\n"]
_SHAPES = ["'\\", '"\\', "$(", "${", "a=", "1.", "\\x", "a,", "x/", "ab", "-a ", "[a"]
_ANCHORED = frozenset({"match", "fullmatch"})
_ROOT = Path(core.__path__[0])
_SOURCES = {path: path.read_text(encoding="utf-8") for path in _ROOT.rglob("*.py")}


def _collect() -> dict[str, re.Pattern[str]]:
    found: dict[str, re.Pattern[str]] = {}

    def scan(value: object, where: str, depth: int) -> None:
        if isinstance(value, re.Pattern):
            if isinstance(value.pattern, str):
                found.setdefault(where, value)
            return
        if depth == 0:
            return
        items: list[object] = []
        if isinstance(value, dict):
            items = list(value.values())
        elif isinstance(value, list | tuple | set | frozenset):
            items = list(value)
        for index, item in enumerate(items):
            scan(item, f"{where}[{index}]", depth - 1)

    for info in pkgutil.walk_packages(core.__path__, "vectimus.core."):
        module = importlib.import_module(info.name)
        for name, value in vars(module).items():
            scan(value, f"{info.name}.{name}", 1)
            if isinstance(value, type) and value.__module__ == module.__name__:
                for attribute, inner in vars(value).items():
                    scan(inner, f"{info.name}.{name}.{attribute}", 1)
    return found


PATTERNS = _collect()


def _module_sources(where: str) -> list[str]:
    """The defining module's source, and that of every module importing the name from it."""
    module, name = where.split("[", 1)[0].rsplit(".", 1)
    own = _ROOT.joinpath(*module.split(".")[2:]).with_suffix(".py")
    if not own.exists():
        own = own.with_suffix("") / "__init__.py"
    importing = re.compile(rf"from {re.escape(module)} import[^\n]*\b{re.escape(name)}\b")
    return [text for path, text in _SOURCES.items() if path == own or importing.search(text)]


def anchored_only(where: str) -> bool:
    """Whether the code only ever calls this pattern with match or fullmatch."""
    name = where.rsplit(".", 1)[-1]
    if "[" in name:
        return False
    calls: set[str] = set()
    bare = 0
    for text in _module_sources(where):
        calls.update(re.findall(rf"\b{re.escape(name)}\.(\w+)\(", text))
        bare += len(re.findall(rf"\b{re.escape(name)}\b(?!\.\w+\()", text))
    # One bare use is the definition; more mean it is passed around, used unseen.
    return bool(calls) and calls <= _ANCHORED and bare <= 1


def _units(pattern: re.Pattern[str]) -> list[str]:
    own = sorted({c for c in pattern.pattern if c in string.punctuation or c in " \t\n"})
    letters = sorted({c for c in pattern.pattern if c.isalnum()})[:4]
    units = list(dict.fromkeys([*own[:10], *letters, *_GENERIC, *_SHAPES]))
    units += ["".join(pair) for pair in islice(permutations(own[:6], 2), 16)]
    return units


def test_the_patterns_were_found() -> None:
    # A refactor that hides the patterns from this scan must not pass silently.
    assert len(PATTERNS) >= 60
    assert any(name.startswith("vectimus.core.shell.fallback") for name in PATTERNS)
    assert anchored_only("vectimus.core.receipts.receipt._HEX64")
    assert not anchored_only("vectimus.core.shell.fallback._TOKEN")


@pytest.mark.parametrize("where", sorted(PATTERNS))
def test_no_catastrophic_backtracking(where: str) -> None:
    pattern = PATTERNS[where]
    anchored = anchored_only(where)

    def run(text: str) -> object:
        if not anchored:
            for _ in pattern.finditer(text):
                pass
        pattern.match(text)
        return pattern.fullmatch(text)

    for unit in _units(pattern):
        assert_linear(run, lambda n, u=unit: u * n + "\x00!", _N, label=f"{where} {unit!r}")
