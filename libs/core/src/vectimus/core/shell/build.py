"""Turn one found simple command into a record: unwrap, name, read options, classify."""

from __future__ import annotations

import re
import shlex

from vectimus.core.shell.call import Call
from vectimus.core.shell.classify import action_type, file_effects, redirect_paths
from vectimus.core.shell.escapes import fold_output
from vectimus.core.shell.flags import read_command
from vectimus.core.shell.model import Invocation, Record, Sink, Var, Word
from vectimus.core.shell.names import is_windows, program_name, raw_value, script_word
from vectimus.core.shell.nested import runs_code, special
from vectimus.core.shell.pathnorm import canonical_path
from vectimus.core.shell.wrappers import unwrap

_ALIAS = re.compile(r"([^=\s/$`\"']+)=(.*)", re.DOTALL)
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_MAX_ALIAS_ROUNDS = 4
_NEEDS_QUOTES = re.compile(r"[\s'\"\\]")


def build(inv: Invocation, sink: Sink) -> Record:
    """Analyse ``inv``, add its record to ``sink`` and queue whatever it runs in turn."""
    scope = inv.scope
    shared = scope.shared
    words = _expand_alias(inv.words, shared.aliases)
    unwrapped = unwrap(words)
    words = unwrapped.words
    wrappers = (*scope.wrappers, *(name + "=" for name in inv.assigns), *unwrapped.wrappers)
    record = Record(
        id=shared.new_id(), program="", scope=scope, wrappers=wrappers, dynamic=inv.dynamic
    )
    for word in inv.words:
        record.taints.update(word.taints)
    home = scope.home
    redirect_reads, redirect_writes = (
        redirect_paths(inv.redirects, home) if inv.redirects else ([], [])
    )
    if not words:
        # Only assignments and redirections, such as ``> ~/.bashrc``.
        _finish(record, redirected=(redirect_reads, redirect_writes))
        sink.add(record)
        return record
    head, rest = words[0], words[1:]
    program = unwrapped.program if unwrapped.program is not None else program_name(head)
    record.program = program
    if not head.literal or head.glob or head.obfuscated:
        record.dynamic = True
    if script_word(head):
        record.script_path = canonical_path(head.value, home)
    windows = is_windows(program, rest)
    values = [raw_value(word) if windows else word.value for word in rest]
    parsed = special(Call(program, rest, values, inv, record, sink)) if runs_code(program) else None
    subcommand, patterns = "", False
    if parsed is None:
        parsed, subcommand, patterns = read_command(program, values)
    args = [canonical_path(arg, home, relative=not patterns) for arg in parsed.args]
    reads, writes = file_effects(program, parsed, home)
    record.reads.extend(reads)
    record.writes.extend(writes)
    canonical = sorted(set(parsed.canonical))
    _finish(
        record,
        args=args,
        subcommand=subcommand,
        flags=parsed.flags,
        canonical=canonical,
        redirected=(redirect_reads, redirect_writes),
    )
    if program == "alias":
        _define_aliases(values, shared.aliases)
    elif program == "read":
        for name in parsed.positionals:
            if _IDENT.fullmatch(name):
                scope.env[name] = Var(None)
    if program in ("echo", "printf") and all(word.literal for word in rest):
        record.stdout_literal = fold_output(program, values)
    elif program == "cat" and not rest and inv.stdin_text is not None and not inv.stdin_dynamic:
        record.stdout_literal = inv.stdin_text
    sink.add(record)
    return record


def _finish(
    record: Record,
    *,
    redirected: tuple[list[str], list[str]],
    args: list[str] | None = None,
    subcommand: str = "",
    flags: set[str] | None = None,
    canonical: list[str] | None = None,
) -> None:
    scope = record.scope
    redirect_reads, redirect_writes = redirected
    args = args or []
    canonical = canonical or []
    record.args = args
    record.flags = flags or set()
    record.subcommand = subcommand
    record.reads.extend(redirect_reads)
    record.reads.extend(scope.reads)
    record.writes.extend(redirect_writes)
    record.writes.extend(scope.writes)
    if record.script_path and record.program in ("source", "."):
        record.reads.append(record.script_path)
    record.reads = list(dict.fromkeys(record.reads))
    record.writes = list(dict.fromkeys(record.writes))
    record.action_type = action_type(record.program, record.reads, record.writes)
    parts = [record.program] if record.program else []
    if subcommand:
        parts.append(subcommand)
    parts.extend(canonical)
    parts.extend(_quote(arg) for arg in args)
    record.text = " ".join(parts)


def _quote(arg: str) -> str:
    return shlex.quote(arg) if not arg or _NEEDS_QUOTES.search(arg) else arg


def _expand_alias(words: list[Word], aliases: dict[str, str]) -> list[Word]:
    if not aliases or not words:
        return words
    for _ in range(_MAX_ALIAS_ROUNDS):
        head = words[0]
        body = aliases.get(head.value) if head.literal and head.raw == head.value else None
        if body is None:
            return words
        try:
            parts = shlex.split(body)
        except ValueError:
            parts = body.split()
        if not parts:
            return words[1:] or words
        replacement = [Word(part, part) for part in parts]
        if parts[0] == head.value:
            return replacement + words[1:]
        words = replacement + words[1:]
    return words


def _define_aliases(values: list[str], aliases: dict[str, str]) -> None:
    for value in values:
        match = _ALIAS.fullmatch(value)
        if match is not None:
            aliases[match.group(1)] = match.group(2)
