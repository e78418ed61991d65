"""Turn tree-sitter word nodes into the literal strings bash would pass to a program.

``r''m``, ``"r"m``, ``\\rm`` and ``$'\\x72m'`` must all read ``rm``; ``$HOME`` reads ``~``;
variables assigned earlier on the line are substituted. What cannot be known stays in its
source spelling and the word is marked non-literal, which is what makes a program dynamic.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from itertools import pairwise

from vectimus.core.shell.escapes import decode_ansi_c, fold_output
from vectimus.core.shell.model import Env, Word
from vectimus.core.shell.parse import Node, text_head, text_of

# Unquoted brace syntax is marked with private-use characters so that quoted braces, which
# bash leaves alone, survive expansion untouched.
_OPEN, _COMMA, _CLOSE = "\ue000", "\ue001", "\ue002"
_RESTORE = str.maketrans({_OPEN: "{", _COMMA: ",", _CLOSE: "}"})
_MAX_BRACE_WORDS = 64
_MAX_DEPTH = 40

_PLAIN_WORD = re.compile(r"[^\\*?\[{},]*")
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*|[0-9]|[@*#?$!-]")
_IFS_SPLIT = re.compile(r"[ \t\n]+")
_RANGE = re.compile(r"\{(-?\d{1,6}|[A-Za-z])\.\.(-?\d{1,6}|[A-Za-z])\}")
_DQ_ESCAPE = re.compile(r"\\([\\\"$`\n])")
_SUBSTITUTIONS = frozenset({"command_substitution", "process_substitution"})
# Variables every shell has set: their default values are not what runs.
_ENVIRONMENT = frozenset({"PATH", "USER", "SHELL", "PWD", "TERM", "LANG", "HOSTNAME"})


@dataclass(slots=True)
class _Acc:
    subs: list[Node]
    source: bytes
    # (text, splittable, solid): splittable pieces came from unquoted expansions; a field
    # made only of non-solid empty pieces disappears, as bash drops ``$EMPTY``.
    pieces: list[tuple[str, bool]] = field(default_factory=list)
    literal: bool = True
    glob: bool = False
    brace: bool = False
    obfuscated: bool = False
    taints: list[int] = field(default_factory=list)
    # Inside a fold a nested substitution already makes the fold fail: do not try it too.
    fold: bool = True
    splitter: re.Pattern[str] = _IFS_SPLIT

    def add(self, text: str, *, split: bool = False) -> None:
        self.pieces.append((text, split))

    def unresolved(self, node: Node) -> None:
        self.literal = False
        self.pieces.append((text_head(node, self.source), False))


def words_of(node: Node, env: Env, subs: list[Node], source: bytes) -> list[Word]:
    """The fields one argument node expands to (usually one; brace and ``$IFS`` make more).

    ``source`` is the text the node was parsed from; ``subs`` collects the substitutions
    met, which the caller analyses as commands of their own.
    """
    if node.type == "word":
        raw = text_of(node, source)
        if _PLAIN_WORD.fullmatch(raw):
            return [Word(raw, raw)]
    else:
        raw = text_head(node, source)
    acc = _Acc(subs, source)
    _walk(node, acc, env, quoted=False, depth=0)
    return _finish(acc, raw)


def word_of(node: Node, env: Env, subs: list[Node], source: bytes) -> Word:
    """One node as a single string, as in assignments and redirect targets (no splitting)."""
    acc = _Acc(subs, source)
    _walk(node, acc, env, quoted=False, depth=0)
    value = "".join(text for text, _ in acc.pieces).translate(_RESTORE)
    return Word(
        value,
        text_head(node, source),
        literal=acc.literal,
        glob=acc.glob,
        obfuscated=acc.obfuscated,
        taints=tuple(acc.taints),
    )


def _walk(node: Node, acc: _Acc, env: Env, *, quoted: bool, depth: int) -> None:
    if depth > _MAX_DEPTH:
        acc.unresolved(node)
        acc.subs.append(node)
        return
    kind = node.type
    literal = _LITERALS.get(kind)
    if literal is not None:
        acc.add(literal(text_of(node, acc.source)))
    elif kind == "word":
        _unquoted(text_of(node, acc.source), acc)
    elif kind in ("string", "translated_string"):
        _string(node, acc, env, depth)
    elif kind == "simple_expansion":
        _simple_expansion(node, acc, env, quoted=quoted)
    elif kind == "expansion":
        _expansion(node, acc, env, quoted=quoted, depth=depth)
    elif kind == "concatenation":
        _concatenation(node, acc, env, quoted=quoted, depth=depth)
    elif kind in _SUBSTITUTIONS:
        _substitution(node, acc, env, quoted=quoted, depth=depth)
    elif kind == "brace_expression" and not quoted:
        _brace_range(text_of(node, acc.source), acc)
    else:
        acc.unresolved(node)
        if node.named_child_count:
            acc.subs.append(node)


def _concatenation(node: Node, acc: _Acc, env: Env, *, quoted: bool, depth: int) -> None:
    opened = False
    for child in node.children:
        _walk(child, acc, env, quoted=quoted, depth=depth + 1)
        if child.type == "word" and not quoted:
            # tree-sitter splits ``r[m]`` into ``r``, ``[``, ``m``, ``]``: still a glob.
            text = text_of(child, acc.source)
            acc.glob = acc.glob or (opened and "]" in text)
            opened = opened or "[" in text


def _substitution(node: Node, acc: _Acc, env: Env, *, quoted: bool, depth: int) -> None:
    acc.subs.append(node)
    folded = None
    if acc.fold and node.type == "command_substitution":
        folded = _fold(node, env, depth, acc.source)
    if folded is None:
        acc.unresolved(node)
    else:
        acc.obfuscated = True
        acc.add(folded, split=not quoted)


def _strip(text: str, prefix: int) -> str:
    body = text[prefix:]
    return body[:-1] if body.endswith("'") else body


# Node kinds whose value is a function of their text alone (``$`` is a lone dollar sign).
_LITERALS: dict[str, Callable[[str], str]] = {
    "number": str,
    "$": str,
    "raw_string": lambda text: _strip(text, 1),
    "ansi_c_string": lambda text: decode_ansi_c(_strip(text, 2)),
}


def _unquoted(raw: str, acc: _Acc) -> None:
    if _PLAIN_WORD.fullmatch(raw):
        acc.add(raw)
        return
    out: list[str] = []
    i, n = 0, len(raw)
    while i < n:
        char = raw[i]
        if char == "\\":
            if i + 1 < n and raw[i + 1] != "\n":
                out.append(raw[i + 1])
            i += 2
            continue
        if char in "*?" or (char == "[" and "]" in raw[i + 1 :]):
            acc.glob = True
        elif char == "{":
            acc.brace = True
            char = _OPEN
        elif char == "}":
            char = _CLOSE
        elif char == ",":
            char = _COMMA
        out.append(char)
        i += 1
    acc.add("".join(out))


def _string(node: Node, acc: _Acc, env: Env, depth: int) -> None:
    source = acc.source
    cursor = node.start_byte
    for child in node.children:
        if child.start_byte > cursor:
            gap = source[cursor : child.start_byte].decode("utf-8", "replace")
            acc.add(_DQ_ESCAPE.sub(r"\1", gap).replace("\\\n", ""))
        cursor = child.end_byte
        kind = child.type
        if not child.is_named and kind in ('"', '$"'):
            continue
        if kind == "string_content":
            acc.add(_DQ_ESCAPE.sub(_dq_unescape, text_of(child, acc.source)))
        else:
            _walk(child, acc, env, quoted=True, depth=depth + 1)


def _dq_unescape(match: re.Match[str]) -> str:
    char = match.group(1)
    return "" if char == "\n" else char


def _simple_expansion(node: Node, acc: _Acc, env: Env, *, quoted: bool) -> None:
    name_node = node.named_child(0)
    name = text_of(name_node, acc.source) if name_node is not None else ""
    if name_node is not None and name_node.type == "variable_name" and not _IDENT.fullmatch(name):
        # tree-sitter reads ``"a $ b"`` as an expansion of `` b``; bash prints it literally.
        acc.add(text_of(node, acc.source))
        return
    _variable(name, node, acc, env, quoted=quoted)


def _variable(name: str, node: Node, acc: _Acc, env: Env, *, quoted: bool) -> None:
    var = env.get(name)
    if name == "IFS" and var is None:
        # ``rm${IFS}-rf${IFS}/`` is a filter-evasion trick: resolve it, but flag it.
        acc.obfuscated = True
        acc.add(" ", split=not quoted)
        return
    if var is None or var.value is None:
        acc.unresolved(node)
        if var is not None:
            acc.taints.extend(var.taints)
        return
    acc.obfuscated = acc.obfuscated or var.obfuscated
    if not quoted:
        _custom_ifs(acc, env)
    # ``"$@"`` is one word per argument even when quoted.
    acc.add(var.value, split=not quoted or name == "@")


def _custom_ifs(acc: _Acc, env: Env) -> None:
    """``IFS=,; x=rm,-rf,/; $x`` runs rm: split as that IFS says, and flag the trick."""
    ifs = env.get("IFS")
    if ifs is not None:
        acc.obfuscated = True
        if ifs.value is not None:
            acc.splitter = _splitter(ifs.value)


@cache
def _splitter(ifs: str) -> re.Pattern[str]:
    return re.compile(f"[{re.escape(ifs)}]+") if ifs else re.compile("(?!)")


def _expansion(node: Node, acc: _Acc, env: Env, *, quoted: bool, depth: int) -> None:
    named = node.named_children
    operator = node.child_by_field_name("operator")
    if named and named[0].type == "variable_name":
        name = text_of(named[0], acc.source)
        if operator is None and len(named) == 1:
            _variable(name, node, acc, env, quoted=quoted)
            return
        op = text_of(operator, acc.source) if operator is not None else ""
        var = env.get(name)
        if op in (":-", "-") and var is not None and var.value is not None:
            if var.value or op == "-":
                acc.add(var.value, split=not quoted)
                return
            for child in named[1:]:
                _walk(child, acc, env, quoted=quoted, depth=depth + 1)
            return
        if op in (":-", "-", ":=", "=") and var is None and name not in _ENVIRONMENT:
            # ``rm -rf ${EMPTY:-/}``: a variable not set on the line is read as its default,
            # the value it has unless the environment sets it, and the word is not literal.
            acc.literal = False
            for child in named[1:]:
                _walk(child, acc, env, quoted=quoted, depth=depth + 1)
            return
    acc.unresolved(node)
    acc.subs.append(node)


def _brace_range(text: str, acc: _Acc) -> None:
    match = _RANGE.fullmatch(text)
    items: list[str] = []
    if match:
        start, end = match.group(1), match.group(2)
        if start.lstrip("-").isdigit() and end.lstrip("-").isdigit():
            lo, hi = int(start), int(end)
            step = 1 if hi >= lo else -1
            if abs(hi - lo) < _MAX_BRACE_WORDS:
                items = [str(v) for v in range(lo, hi + step, step)]
        elif start.isalpha() and end.isalpha():
            lo, hi = ord(start), ord(end)
            step = 1 if hi >= lo else -1
            items = [chr(v) for v in range(lo, hi + step, step)]
    if len(items) < 2:
        acc.add(text)
        return
    acc.brace = True
    acc.add(_OPEN + _COMMA.join(items) + _CLOSE)


def _fold(node: Node, env: Env, depth: int, source: bytes) -> str | None:
    """The output of ``$(printf '\\x72\\x6d')`` or ``$(echo rm)`` when every word is literal."""
    named = node.named_children
    if len(named) != 1 or named[0].type != "command":
        return None
    command = named[0]
    words: list[str] = []
    scratch: list[Node] = []
    for index, child in enumerate(command.children):
        role = command.field_name_for_child(index)
        if role not in ("name", "argument"):
            return None
        target = child.named_child(0) if role == "name" else child
        if target is None:
            return None
        acc = _Acc(scratch, source, fold=False)
        _walk(target, acc, env, quoted=False, depth=depth + 1)
        if not acc.literal or acc.glob or scratch:
            return None
        words.extend(word.value for word in _finish(acc, ""))
    if not words:
        return None
    return fold_output(words[0], words[1:])


def _finish(acc: _Acc, raw: str) -> list[Word]:
    fields: list[list[str]] = [[]]
    solid = [False]
    for text, split in acc.pieces:
        if not split:
            fields[-1].append(text)
            solid[-1] = True
            continue
        parts = acc.splitter.split(text)
        for index, part in enumerate(parts):
            if index:
                fields.append([])
                solid.append(False)
            if part:
                fields[-1].append(part)
                solid[-1] = True
    values = ["".join(f) for f, keep in zip(fields, solid, strict=True) if keep]
    if acc.brace:
        values = [expanded for value in values for expanded in expand_braces(value)]
    taints = tuple(acc.taints)
    return [
        Word(
            value.translate(_RESTORE),
            raw,
            literal=acc.literal,
            glob=acc.glob,
            obfuscated=acc.obfuscated,
            taints=taints,
        )
        for value in values
    ]


def expand_braces(value: str) -> list[str]:
    results: list[str] = []
    pending = [value]
    while pending and len(results) + len(pending) <= _MAX_BRACE_WORDS:
        current = pending.pop()
        span = _first_group(current)
        if span is None:
            results.append(current)
            continue
        start, end, commas = span
        head, tail = current[:start], current[end + 1 :]
        bounds = [start, *commas, end]
        alternatives = [current[a + 1 : b] for a, b in pairwise(bounds)]
        pending.extend(head + alt + tail for alt in reversed(alternatives))
    results.extend(pending)
    return results


def _first_group(value: str) -> tuple[int, int, list[int]] | None:
    """The first ``{a,b}`` group with a comma at its own level: (open, close, commas)."""
    stack: list[tuple[int, list[int]]] = []
    for index, char in enumerate(value):
        if char == _OPEN:
            stack.append((index, []))
        elif char == _COMMA and stack:
            stack[-1][1].append(index)
        elif char == _CLOSE and stack:
            start, commas = stack.pop()
            if commas:
                return start, index, commas
    return None
