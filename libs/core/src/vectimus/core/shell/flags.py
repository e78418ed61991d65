"""Read one program's words into flags, arguments and subcommand using the option tables."""

from __future__ import annotations

from dataclasses import replace
from functools import cache

from vectimus.core.shell.devtable import DEV
from vectimus.core.shell.names import is_cmdlet
from vectimus.core.shell.options import Parsed, Program, Spec, parse_options, word_set
from vectimus.core.shell.progtable import POWERSHELL_CMDLET, UNIX

DEFAULT = Spec()
_EMPTY = Spec()
_TAR_MODES = frozenset("cxtru")

# find's primaries that take one argument; -exec and friends are read separately.
_FIND_VALUE = word_set(
    "-name -iname -path -ipath -regex -iregex -type -xtype -maxdepth -mindepth -newer -perm "
    "-size -mtime -mmin -atime -amin -ctime -cmin -user -group -uid -gid -inum -links "
    "-samefile -fprint -fprint0 -fls -printf -fstype -wholename -iwholename -lname -ilname "
    "-context -used -regextype -D -files0-from"
)
_FIND_EXEC = frozenset({"-exec", "-execdir", "-ok", "-okdir"})
_FIND_OPERATORS = frozenset({"(", ")", "!", ",", "-a", "-o", "-and", "-or", "-not"})


def table_for(program: str) -> Program | None:
    found = UNIX.get(program) or DEV.get(program)
    if found is None and is_cmdlet(program):
        return POWERSHELL_CMDLET
    return found


def read_command(program: str, words: list[str]) -> tuple[Parsed, str, bool]:
    """(options, subcommand, positionals-are-patterns) for ``program words...``."""
    table = table_for(program)
    if table is None:
        return parse_options(words, DEFAULT), "", False
    if program == "tar" and words and _tar_bundle(words[0]):
        # Old-style ``tar xzf f`` bundles its options in the first word without a dash.
        words = ["-" + words[0], *words[1:]]
    if not table.subcommands:
        return parse_options(words, table.options), "", table.patterns
    head = parse_options(words, _before(program))
    if head.end >= len(words):
        return head, "", table.patterns
    spelled = words[head.end]
    subcommand = table.aliases.get(spelled, spelled)
    rest = words[head.end + 1 :]
    if table.passthrough:
        head.args.extend(rest)
        head.positionals.extend(rest)
    else:
        parse_options(rest, _after(program, subcommand), head)
    return head, subcommand, table.patterns


@cache
def _before(program: str) -> Spec:
    table = table_for(program) or Program()
    return table.before or replace(table.options, stop_at_positional=True)


@cache
def _after(program: str, subcommand: str) -> Spec:
    table = table_for(program) or Program()
    base = table.options if table.before is None else _EMPTY
    return base.merged(table.sub.get(subcommand, _EMPTY))


def _tar_bundle(word: str) -> bool:
    """Letters only, one of them a mode: a string test (``[A-Za-z]*[cxtru][A-Za-z]*`` is
    quadratic when it fails)."""
    return word.isascii() and word.isalpha() and not _TAR_MODES.isdisjoint(word)


def read_find(words: list[str]) -> tuple[Parsed, list[tuple[int, int]]]:
    """find's starting points and primaries, and the word ranges its ``-exec`` actions run."""
    out = Parsed()
    runs: list[tuple[int, int]] = []
    count = len(words)
    index = 0
    while index < count and words[index] in ("-H", "-L", "-P"):
        out.flags.add(words[index])
        out.canonical.append(words[index])
        index += 1
    while index < count:
        word = words[index]
        index += 1
        if word in _FIND_OPERATORS:
            continue
        if word in _FIND_EXEC:
            start = index
            while index < count and words[index] != ";":
                if words[index] == "+" and index > start and words[index - 1] == "{}":
                    break
                index += 1
            _find_flag(out, word)
            runs.append((start, index))
            index += 1
        elif word in _FIND_VALUE or word.startswith("-newer"):
            _find_flag(out, word)
            if index < count:
                out.values.append((word, words[index]))
                out.args.append(words[index])
                index += 1
        elif word.startswith("-") and len(word) > 1:
            _find_flag(out, word)
        else:
            out.args.append(word)
            out.positionals.append(word)
    return out, runs


def _find_flag(out: Parsed, word: str) -> None:
    out.flags.add(word)
    out.canonical.append(word)
