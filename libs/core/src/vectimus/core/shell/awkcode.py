"""The commands an awk program runs: ``system("...")``, ``"cmd" | getline``, ``print | "cmd"``.

A command given as a string literal is returned for analysis; a call or pipe whose command
is computed (``system($0)``) makes the program dynamic. Strings are found by one linear
scan, so an awk program of any length costs time in proportion to it.
"""

from __future__ import annotations

import re

# A string runs to its closing quote or, unclosed, to the end of its line.
_STRING = re.compile(r'"((?:[^"\\\n]|\\.)*)("?)')
_SYSTEM = re.compile(r"\bsystem\s*\(\s*$")
_GETLINE = re.compile(r"\s*\|\s*getline\b")
_SYSTEM_CALL = re.compile(r"\bsystem\s*\(")


def awk_commands(program: str) -> tuple[list[str], bool]:
    """(literal command lines, whether it also runs a command it computes)."""
    commands: list[str] = []
    code: list[str] = []
    cursor = 0
    for match in _STRING.finditer(program):
        before = program[cursor : match.start()]
        code.append(before)
        cursor = match.end()
        if not match.group(2):
            continue
        text = match.group(1).replace('\\"', '"')
        after = program[match.end() : match.end() + 32]
        preceding = before.rstrip()
        if (
            (_SYSTEM.search(preceding[-64:]) and after.lstrip().startswith(")"))
            or _GETLINE.match(after)
            or (preceding.endswith("|") and not preceding.endswith("||"))
        ):
            commands.append(text)
    code.append(program[cursor:])
    outside = " ".join(code)
    runs = len(_SYSTEM_CALL.findall(outside)) + _pipes(outside)
    return commands, runs > len(commands)


def _pipes(code: str) -> int:
    """Single ``|`` (a pipe to or from a command), not ``||``."""
    return code.count("|") - 2 * code.count("||")
