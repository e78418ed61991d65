"""A conservative tokenizer for input tree-sitter cannot parse (or that is too large).

It over-splits rather than under-splits: ``;``, ``&``, ``&&``, ``||``, newlines, parentheses,
``$(`` and backticks all end a command, so ``rm -rf /`` in a broken line, a heredoc body or
a half-closed substitution is still seen as a command. One regex pass, linear in the input.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from vectimus.core.shell.escapes import decode_ansi_c
from vectimus.core.shell.model import Env, Redirect, Var, Word
from vectimus.core.shell.words import expand_braces

_TOKEN = re.compile(
    r"""
    (?P<space>[ \t\r\f\v]+|\\\n)
  | (?P<op>&&|\|\||\|&|;;|\$\(|[;&|()\n`])
  | (?P<redir>\d*(?:&>>|&>|>>|>\||>&|<<<|<<-|<<|<&|<>|>|<))
  | (?P<word>(?:
        \$'(?:[^'\\]|\\.)*'? | '[^']*'? | "(?:[^"\\]|\\.)*"?
      | \\. | \\$ | \$(?!\() | [^\s'"\\;&|()<>`$]
    )+)
    """,
    re.VERBOSE | re.DOTALL,
)
# cmd.exe and PowerShell: backslash is a path separator, not an escape; braces group.
_WINDOWS_TOKEN = re.compile(
    r"""
    (?P<space>[ \t\r\f\v]+)
  | (?P<op>&&|\|\||[;&|(){}\n])
  | (?P<redir>\d*(?:>>|>&|>|<))
  | (?P<word>(?:'[^']*'?|"[^"]*"?|[^\s'";&|(){}<>])+)
    """,
    re.VERBOSE,
)
_PART = re.compile(
    r"""\$'(?P<ansi>(?:[^'\\]|\\.)*)'?|'(?P<single>[^']*)'?|"(?P<double>(?:[^"\\]|\\.)*)"?"""
    r"""|\\(?P<escaped>.)|\$\{(?P<braced>\w+)\}|\$(?P<name>[A-Za-z_]\w*)|(?P<plain>[^'"\\$]+|.)""",
    re.DOTALL,
)
_PLAIN = re.compile(r"[^'\"\\$`{},*?\[]+")
_INNER = re.compile(r"\$\(([^()]*)\)|`([^`]*)`")
_DQ_ESCAPE = re.compile(r"\\([\\\"$`])")
_ASSIGNMENT = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)\+?=")
# PowerShell reads the typographic dashes as ``-`` and the curly quotes as quotes, so
# ``Remove-Item \u2013Recurse`` (with an en dash) recurses.
_POWERSHELL_PUNCTUATION = str.maketrans(
    {"\u2013": "-", "\u2014": "-", "\u2015": "-", "\u2018": "'", "\u2019": "'",
     "\u201a": "'", "\u201b": "'", "\u201c": '"', "\u201d": '"', "\u201e": '"'}
)  # fmt: skip
_OPEN, _COMMA, _CLOSE = "\ue000", "\ue001", "\ue002"
_BRACE_MARKS = str.maketrans({"{": _OPEN, ",": _COMMA, "}": _CLOSE})
_RESTORE = str.maketrans({_OPEN: "{", _COMMA: ",", _CLOSE: "}"})


@dataclass(slots=True)
class Flat:
    """One command found by the tokenizer, with its place in a pipeline."""

    words: list[Word] = field(default_factory=list)
    redirects: list[Redirect] = field(default_factory=list)
    assigns: list[str] = field(default_factory=list)
    pipeline: int = 0
    stage: int = 0
    cond: bool = False


def split(text: str, env: Env, *, windows: bool = False) -> tuple[list[Flat], list[str]]:
    """Commands in ``text``, and the bodies of quoted substitutions to analyse separately.

    ``windows`` reads cmd.exe/PowerShell code, whose backslashes are literal.
    """
    pattern = _WINDOWS_TOKEN if windows else _TOKEN
    text = text.translate(_POWERSHELL_PUNCTUATION) if windows else text
    commands: list[Flat] = []
    inner: list[str] = []
    current = Flat()
    pipeline = 0
    cond = False
    pending: str | None = None
    for match in pattern.finditer(text):
        kind = match.lastgroup
        lexeme = match.group()
        if kind == "space":
            continue
        if kind == "word":
            if not windows and ("$(" in lexeme or "`" in lexeme):
                inner.extend(a or b for a, b in _INNER.findall(lexeme))
            words = _windows_word(lexeme) if windows else _word(lexeme, env)
            if pending is not None:
                current.redirects.append(Redirect(pending, "", words[0]))
                pending = None
            elif not windows and not current.words and _ASSIGNMENT.match(lexeme):
                _assign(lexeme, env, current)
            elif current.words or lexeme not in ("{", "}", "!"):
                current.words.extend(words)
            continue
        if kind == "redir":
            pending = lexeme.lstrip("0123456789")
            continue
        pending = None
        if windows and lexeme == "(" and current.words:
            # ``iex (iwr ...)``: the group is an argument whose value is only known at run time.
            current.words.append(Word("(", "(", literal=False))
        if current.words or current.redirects:
            current.pipeline, current.cond = pipeline, cond
            commands.append(current)
        if lexeme in ("|", "|&"):
            current = Flat(stage=current.stage + 1)
            continue
        current = Flat()
        pipeline += 1
        cond = cond or lexeme in ("&&", "||")
    if current.words or current.redirects:
        current.pipeline, current.cond = pipeline, cond
        commands.append(current)
    return commands, inner


def _assign(token: str, env: Env, current: Flat) -> None:
    match = _ASSIGNMENT.match(token)
    if match is None:
        return
    name = match.group(1)
    current.assigns.append(name)
    values = _word(token[match.end() :], env)
    # Whether this prefixes a command is not known yet; assuming it persists is the safe side.
    env[name] = Var(values[0].value) if values and values[0].literal else Var(None)


def _windows_word(token: str) -> list[Word]:
    value = token.replace('"', "").replace("'", "") if token[:1] in "\"'" else token
    return [Word(value, token, literal="$" not in token, glob="*" in token or "?" in token)]


def _is_glob(text: str) -> bool:
    """``*``, ``?`` or a ``[...]`` class; a string test, not ``\\[.*\\]``, which is
    quadratic on ``[[[[...``."""
    if "*" in text or "?" in text:
        return True
    start = text.find("[")
    return start >= 0 and "]" in text[start + 1 :]


def _word(token: str, env: Env) -> list[Word]:
    """Quote removal and variable substitution for one token, brace expansion included."""
    if _PLAIN.fullmatch(token):
        return [Word(token, token)]
    pieces: list[str] = []
    literal, glob, brace, split = True, False, False, False
    for match in _PART.finditer(token):
        kind = match.lastgroup
        value = match.group(kind or 0)
        if kind == "ansi":
            value = decode_ansi_c(value)
        elif kind == "double":
            literal = literal and "$" not in value and "`" not in value
            value = _DQ_ESCAPE.sub(r"\1", value)
        elif kind in ("braced", "name"):
            var = env.get(value)
            if var is None or var.value is None:
                literal = False
                value = match.group()
            else:
                # An unquoted variable holding spaces is several words (``$X /``).
                split = split or any(char.isspace() for char in var.value)
                value = var.value
        elif kind == "plain":
            glob = glob or _is_glob(value)
            brace = brace or "{" in value
            literal = literal and "$" not in value and "`" not in value
            value = value.translate(_BRACE_MARKS)
        pieces.append(value)
    joined = "".join(pieces)
    values = expand_braces(joined) if brace else [joined]
    if split:
        values = [field for value in values for field in value.split()]
    return [Word(value.translate(_RESTORE), token, literal=literal, glob=glob) for value in values]
