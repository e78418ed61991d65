"""Shell analysis and request expansion on hostile input: no error, and linear cost.

analyse() must never raise; expand() (which the pipeline wraps in a fail-closed handler) must
not raise either, since a crash there would turn every call like it into an error-deny that
hides what was wrong. Cost is checked as growth between n and 8n for each family of
pathological input, not as wall-clock limits.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from hypothesis import given

from tests.fuzz.hostile import FUZZ, hostile_text
from tests.fuzz.scaling import assert_linear
from vectimus.core.events import Identity
from vectimus.core.normalise import normalise
from vectimus.core.pipeline import Limits
from vectimus.core.pipeline.expand import expand
from vectimus.core.shell import ShellAnalysis, analyse

HOME = "/home/dev"
LIMITS = Limits(home=HOME)


def _expand(command: str, *, source: str = "claude-code", tool: str = "Bash") -> None:
    payload = {"cwd": "/home/dev/shop", "tool_name": tool, "tool_input": {"command": command}}
    event = normalise(source, payload, identity=Identity())
    expansion = expand(event, LIMITS)
    assert expansion.requests


@FUZZ
@given(hostile_text)
def test_analysis_never_raises(line: str) -> None:
    analysis = analyse(line, home=HOME)
    assert isinstance(analysis, ShellAnalysis)
    assert analysis.raw == line


@FUZZ
@given(hostile_text)
def test_windows_analysis_never_raises(line: str) -> None:
    assert isinstance(analyse(line, home=HOME, windows=True), ShellAnalysis)


@FUZZ
@given(hostile_text)
def test_expansion_never_raises(line: str) -> None:
    _expand(line)


@FUZZ
@given(hostile_text)
def test_powershell_tool_expansion_never_raises(line: str) -> None:
    _expand(line, source="copilot", tool="powershell")


# name -> n -> command line; each is analysed at n and 8n repetitions.
FAMILIES: dict[str, Callable[[int], str]] = {
    "words": lambda n: "a " * n,
    "pipeline": lambda n: "cat x" + " | cat" * n,
    "and-list": lambda n: "true && " * n + "ls",
    "nested substitutions": lambda n: "$(" * n + "rm -rf /" + ")" * n,
    "quoted words": lambda n: "echo " + "'a' " * n,
    "unclosed quote": lambda n: "echo '" + "a" * n,
    "escaped quotes": lambda n: "echo " + "\\'" * n,
    "backslashes": lambda n: "\\" * n,
    "here-document": lambda n: "cat <<EOF\n" + "line $x\n" * n + "EOF\n",
    "braces": lambda n: "echo " + "{a,b}" * min(n, 40) + " x" * n,
    "assignments": lambda n: "x=1; " * n + "echo $x",
    "aliases": lambda n: "alias a=b; " * n + "a",
    "functions": lambda n: 'f(){ rm -rf "$1"; }; ' * n + "f /",
    "written files": lambda n: "".join(f"echo 'ls' > f{i}; sh f{i}; " for i in range(n)),
    "cd": lambda n: "cd a && " * n + "rm -rf b",
    "runners": lambda n: "docker exec c " * n + "ls",
    "python strings": lambda n: 'python3 -c "' + "'a', " * n + '"',
    "python unclosed strings": lambda n: "python3 -c \"x = '" + "\\'" * n + '"',
    "python sinks": lambda n: 'python3 -c "' + "os.system(x); " * n + '"',
    "awk strings": lambda n: "awk '" + '"a" ' * n + 'system("ls")\'',
    "xargs input": lambda n: "xargs rm <<< '" + "a " * n + "'",
    "globs": lambda n: "cat " + ".e?v " * n,
    "look-alikes": lambda n: "\uff52\uff4d " * n,
    "powershell": lambda n: "Remove-Item C:\\x\\ " * n,
    "parse errors": lambda n: "a'b\"c$(" * n,
    "NUL bytes": lambda n: "rm\x00 -rf /\x00; " * n,
}


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_analysis_is_linear(family: str) -> None:
    make = FAMILIES[family]
    assert_linear(lambda line: analyse(line, home=HOME), make, 400, label=family)


@pytest.mark.parametrize("family", ["written files", "globs", "python sinks", "functions"])
def test_expansion_is_linear(family: str) -> None:
    assert_linear(_expand, FAMILIES[family], 200, label=family)


def test_a_million_character_command_is_analysed() -> None:
    analysis = analyse("rm -rf / " + "a" * 1_000_000, home=HOME)
    assert "rm" in analysis.programs
