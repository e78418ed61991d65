"""Interpreter code that hands a string to a shell or to an evaluator.

``os.system('rm -rf /')`` names its command; ``os.system(base64.b64decode(p).decode())``,
``execSync('cu' + 'rl ...')`` and ``exec(bytes.fromhex(...))`` compute it, and what they run
cannot be known before they run. Literal arguments are returned as commands to analyse
(``spawnSync('rm', ['-rf', '/'])`` is ``rm -rf /``); a computed first argument makes the
code dynamic. The scan is one regex pass plus a bounded look at each call's arguments.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_SINK = re.compile(
    r"(?<![\w$])(?P<fn>os\.system|os\.popen|os\.exec\w{1,3}|os\.spawn\w{1,3}|"
    r"subprocess\.\w{1,20}|commands\.getoutput|pty\.spawn|execSync|execFileSync|execFile|"
    r"spawnSync|spawn|shell_exec|passthru|popen|proc_open|pcntl_exec|IO\.popen|"
    r"Open3\.\w{1,20}|os\.execute|io\.popen|system|exec|eval|Function|compile|"
    r"runInNewContext|runInThisContext|instance_eval|class_eval)\s{0,8}\("
)
# Sinks that take the program and its arguments as separate literals.
_SPREAD = frozenset(
    {"spawn", "spawnSync", "execFile", "execFileSync", "system", "pcntl_exec", "pty.spawn"}
)
# Sinks that evaluate code rather than run a command line: no command to analyse.
_EVALUATORS = frozenset(
    {"eval", "Function", "compile", "runInNewContext", "runInThisContext", "instance_eval",
     "class_eval"}
)  # fmt: skip
_STRING = re.compile(r"""'(?:[^'\\\n]|\\.){0,4096}'|"(?:[^"\\\n]|\\.){0,4096}"|`[^`$]{0,4096}`""")
_LIST = re.compile(r"\[[^\[\]]{0,2048}\]")
_ESCAPE = re.compile(r"\\(.)", re.DOTALL)
_MAX_ARGS = 32


@dataclass(slots=True)
class SinkFacts:
    commands: list[str] = field(default_factory=list)
    dynamic: bool = False


def scan_sinks(code: str) -> SinkFacts:
    """The literal command lines ``code`` runs, and whether it runs one it computes."""
    facts = SinkFacts()
    for match in _SINK.finditer(code):
        fn = match.group("fn")
        start = match.start()
        method = bool(start) and code[start - 1] == "."
        if method and fn == "compile":
            continue  # ``re.compile(p)`` builds a regex, not code
        if method and fn in ("exec", "spawn", "execFile") and "child_process" not in code:
            # ``/re/.exec(s)`` is a regex; ``child_process.exec(cmd)`` is not.
            continue
        parts, computed = _arguments(code, match.end(), spread=fn in _SPREAD)
        if computed:
            facts.dynamic = True
        elif parts and fn not in _EVALUATORS:
            facts.commands.append(" ".join(parts))
    return facts


def _arguments(code: str, index: int, *, spread: bool) -> tuple[list[str], bool]:
    """The literal words of a call's arguments from ``index`` (just after the ``(``), and
    whether its first argument is computed rather than written out."""
    parts: list[str] = []
    for position in range(_MAX_ARGS):
        index = _skip_blank(code, index)
        literal = _STRING.match(code, index)
        listed = None if literal else _LIST.match(code, index)
        if literal is not None:
            text = literal.group()
            if text[0] == '"' and "#{" in text:
                # Ruby interpolation: the string is computed.
                return parts, position == 0
            parts.append(_unquote(text))
            index = literal.end()
        elif listed is not None and (items := _list_literals(listed.group()[1:-1])) is not None:
            parts.extend(items)
            index = listed.end()
        else:
            return parts, position == 0 and not code.startswith(")", index)
        index = _skip_blank(code, index)
        following = code[index : index + 1]
        if following == ")":
            return parts, False
        if following != "," or not spread:
            # ``'rm' + x`` or ``'a %s' % b``: the string is only part of what runs.
            return parts, position == 0 and following != ","
        index += 1
    return parts, False


def _list_literals(inside: str) -> list[str] | None:
    """The literals of a list's inside (``'a', "b"``), or None if anything else is there."""
    parts: list[str] = []
    index = _skip_blank(inside, 0)
    while index < len(inside):
        literal = _STRING.match(inside, index)
        if literal is None:
            return None
        parts.append(_unquote(literal.group()))
        index = _skip_blank(inside, literal.end())
        if index < len(inside):
            if inside[index] != ",":
                return None
            index = _skip_blank(inside, index + 1)
    return parts


def _skip_blank(text: str, index: int) -> int:
    while index < len(text) and text[index].isspace():
        index += 1
    return index


def _unquote(literal: str) -> str:
    return _ESCAPE.sub(r"\1", literal[1:-1])
