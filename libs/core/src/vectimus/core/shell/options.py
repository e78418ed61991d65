"""Split a program's words into canonical flags, option values and positional words.

One engine, driven by a per-program :class:`Spec`, so that ``rm -fr``, ``rm -r -f``,
``rm --recursive --force`` and ``rm -R -f`` all produce the same canonical flags. Options
that take a value (``git -C dir``, ``kubectl -n ns``) consume it instead of having it read
as more flags or as the subcommand.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

_NO_MAP: Mapping[str, str] = {}
_SLASH_FLAG = re.compile(r"/[A-Za-z?]{1,2}(?::\S*)?")
_SLASH_LONG = re.compile(r"/[A-Za-z]{2,}(?::\S*)?")


@dataclass(frozen=True, slots=True)
class Spec:
    """How one program (or one subcommand) reads its options.

    ``twins`` maps a spelling to its canonical twin (``--force`` -> ``-f``, rm's ``-R`` ->
    ``-r``); both spellings end up in the flag set and the twin is what ``text`` shows.
    ``value`` lists options that take the next word (or an attached ``=value``);
    ``optional`` lists short options whose value may only be attached (``sed -i.bak``).
    ``single_dash`` programs spell long options with one dash (``find -name``,
    ``terraform -auto-approve``), so ``-name`` is never split into ``-n -a -m -e``.
    """

    value: frozenset[str] = frozenset()
    optional: frozenset[str] = frozenset()
    twins: Mapping[str, str] = field(default_factory=dict)
    single_dash: bool = False
    fold_case: bool = False
    slash_flags: bool = False
    slash_long: bool = False
    prefixes: tuple[str, ...] = ()
    stop_at_positional: bool = False
    go_style: bool = False
    rest_after_first: bool = False
    whole: frozenset[str] = frozenset()
    not_option: re.Pattern[str] | None = None

    def merged(self, other: Spec) -> Spec:
        return Spec(
            value=self.value | other.value,
            optional=self.optional | other.optional,
            twins={**self.twins, **other.twins},
            single_dash=self.single_dash or other.single_dash,
            fold_case=self.fold_case or other.fold_case,
            slash_flags=self.slash_flags or other.slash_flags,
            slash_long=self.slash_long or other.slash_long,
            prefixes=self.prefixes + other.prefixes,
            stop_at_positional=self.stop_at_positional and other.stop_at_positional,
            go_style=self.go_style or other.go_style,
            rest_after_first=self.rest_after_first or other.rest_after_first,
            whole=self.whole | other.whole,
            not_option=self.not_option or other.not_option,
        )


def spec(
    value: str = "",
    *,
    twins: Mapping[str, str] = _NO_MAP,
    optional: str = "",
    single_dash: bool = False,
    fold_case: bool = False,
    slash_flags: bool = False,
    slash_long: bool = False,
    prefixes: tuple[str, ...] = (),
    stop_at_positional: bool = False,
    go_style: bool = False,
    rest_after_first: bool = False,
    whole: str = "",
    not_option: str = "",
) -> Spec:
    """Build a Spec from space-separated option lists (tables read better that way)."""
    return Spec(
        value=frozenset(value.split()),
        optional=frozenset(optional.split()),
        twins=dict(twins),
        single_dash=single_dash,
        fold_case=fold_case,
        slash_flags=slash_flags,
        slash_long=slash_long,
        prefixes=prefixes,
        stop_at_positional=stop_at_positional,
        go_style=go_style,
        rest_after_first=rest_after_first,
        whole=frozenset(whole.split()),
        not_option=re.compile(not_option) if not_option else None,
    )


def word_set(text: str) -> frozenset[str]:
    """``"a b c"`` -> frozenset; long name lists read better as one string."""
    return frozenset(text.split())


def pairs(text: str) -> dict[str, str]:
    """``"--force=-f --recursive=-r"`` -> mapping; keeps twin tables on one line each."""
    return dict(item.split("=", 1) for item in text.split())


@dataclass(slots=True)
class Parsed:
    """Options read from some words.

    ``flags`` holds every spelling seen plus canonical twins; ``canonical`` holds one entry
    per option as ``text`` shows it. ``args`` interleaves option values and positional words
    in their original order; ``positionals`` and ``values`` keep them apart for the
    classifiers. ``end`` is the index where a ``stop_at_positional`` parse stopped.
    """

    flags: set[str] = field(default_factory=set)
    canonical: list[str] = field(default_factory=list)
    args: list[str] = field(default_factory=list)
    positionals: list[str] = field(default_factory=list)
    values: list[tuple[str, str]] = field(default_factory=list)
    end: int = 0

    def value_of(self, *names: str) -> list[str]:
        return [value for flag, value in self.values if flag in names]

    def has(self, *names: str) -> bool:
        return any(name in self.flags for name in names)


def parse_options(
    words: list[str], how: Spec, parsed: Parsed | None = None, *, start: int = 0
) -> Parsed:
    """Read ``words[start:]`` (words after the program name) with ``how``.

    ``end`` is an index into ``words`` itself.
    """
    out = parsed if parsed is not None else Parsed()
    count = len(words)
    index = start
    options_done = False
    while index < count:
        word = words[index]
        index += 1
        if options_done or len(word) < 2 or not _is_option(word, how):
            if how.stop_at_positional:
                out.end = index - 1
                return out
            out.args.append(word)
            out.positionals.append(word)
            options_done = options_done or how.rest_after_first
            continue
        if word == "--":
            options_done = True
            continue
        if word[0] == "/":
            _flag(out, word.lower(), how, value=None)
            continue
        if word.startswith("--") or how.single_dash or word[1:].isdigit() or word in how.whole:
            name, eq, attached = word.partition("=")
            if how.fold_case:
                name = name.lower()
            if how.go_style and name.startswith("--"):
                # Go's flag package reads --x as -x: keep the spelling, canonicalise to -x.
                out.flags.add(name)
                name = name[1:]
            name = _expand_prefix(name, how)
            value: str | None = attached if eq else None
            if value is None and name in how.value and index < count:
                value = words[index]
                index += 1
            _flag(out, name, how, value=value)
            continue
        index = _cluster(word, words, index, how, out)
    out.end = index
    return out


def _is_option(word: str, how: Spec) -> bool:
    first = word[0]
    if first == "-":
        return how.not_option is None or how.not_option.fullmatch(word) is None
    if first == "/" and how.slash_flags:
        if _SLASH_FLAG.fullmatch(word) is not None:
            return True
        return how.slash_long and _SLASH_LONG.fullmatch(word) is not None
    return False


def _cluster(word: str, words: list[str], index: int, how: Spec, out: Parsed) -> int:
    """``-rf`` -> ``-r``, ``-f``; a value-taking letter takes the rest or the next word."""
    for position in range(1, len(word)):
        name = "-" + word[position]
        rest = word[position + 1 :]
        if name in how.value:
            if rest:
                _flag(out, name, how, value=rest.removeprefix("="))
            elif index < len(words):
                _flag(out, name, how, value=words[index])
                index += 1
            else:
                _flag(out, name, how, value=None)
            return index
        if name in how.optional:
            _flag(out, name, how, value=rest or None)
            return index
        _flag(out, name, how, value=None)
    return index


def _expand_prefix(name: str, how: Spec) -> str:
    """PowerShell accepts any unambiguous prefix of a parameter name (``-Rec``)."""
    if not how.prefixes or name in how.twins:
        return name
    matches = [full for full in how.prefixes if full.startswith(name)]
    return matches[0] if len(matches) == 1 else name


def _flag(out: Parsed, name: str, how: Spec, *, value: str | None) -> None:
    twin = how.twins.get(name, name)
    out.flags.add(name)
    out.flags.add(twin)
    out.canonical.append(twin)
    if value is not None:
        out.values.append((twin, value))
        out.args.append(value)


@dataclass(frozen=True, slots=True)
class Program:
    """A program's option grammar.

    Programs with ``subcommands`` read ``before`` up to the first positional word (the
    subcommand), then that subcommand's spec merged with ``options``. ``patterns`` marks
    programs whose positional words are patterns or scripts, whose slashes are not paths.
    """

    options: Spec = field(default_factory=Spec)
    subcommands: bool = False
    before: Spec | None = None
    sub: Mapping[str, Spec] = field(default_factory=dict)
    aliases: Mapping[str, str] = field(default_factory=dict)
    patterns: bool = False
    # After the subcommand every word belongs to something else (``npx pkg --flag``).
    passthrough: bool = False


def positional_words(values: list[str], takes_value: frozenset[str]) -> list[str]:
    """The words of ``values`` that are neither options nor their values."""
    found: list[str] = []
    index = 0
    while index < len(values):
        word = values[index]
        if word.startswith("-"):
            index += 2 if word in takes_value else 1
            continue
        found.append(word)
        index += 1
    return found
