"""Turn one found simple command into a record: unwrap, name, read options, classify."""

from __future__ import annotations

import re
import shlex

from vectimus.core.shell import workdir
from vectimus.core.shell.call import Call
from vectimus.core.shell.classify import action_type, file_effects, redirect_paths
from vectimus.core.shell.escapes import fold_output
from vectimus.core.shell.flags import read_command
from vectimus.core.shell.lineflow import remember_clone, remember_writes, run_written
from vectimus.core.shell.model import Invocation, Record, Sink, Var, Word
from vectimus.core.shell.names import is_windows, program_name, raw_value, script_word
from vectimus.core.shell.nested import runs_code, special
from vectimus.core.shell.options import Parsed
from vectimus.core.shell.pathnorm import canonical_path
from vectimus.core.shell.runners import RUNNERS, commands_run
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
    if not head.literal or head.glob or head.obfuscated or not head.value.isascii():
        # A non-ASCII program name is read as the ASCII it imitates (fullwidth ``rm`` is
        # rm), and what it really runs is not known.
        record.dynamic = True
    if script_word(head):
        record.script_path = canonical_path(head.value, home)
    windows = is_windows(program, rest)
    values = [raw_value(word) if windows else word.value for word in rest]
    call = Call(program, rest, values, inv, record, sink)
    parsed = special(call) if runs_code(program) else None
    subcommand, patterns = "", False
    if parsed is None:
        parsed, subcommand, patterns = read_command(program, values)
    args = [canonical_path(arg, home, relative=not patterns) for arg in parsed.args]
    where = workdir.base(scope.env)
    if where is not None and program in workdir.PATH_PROGRAMS:
        # ``cd / && rm -rf usr``: the resolved path joins the args, the word as written stays.
        args.extend(workdir.resolve(arg, where, home) for arg in parsed.positionals)
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
    _line_state(call, parsed, subcommand)
    _runs_more(call)
    remember_writes(record, inv, redirect_writes, sink)
    sink.add(record)
    return record


def _line_state(call: Call, parsed: Parsed, subcommand: str) -> None:
    """What this command changes for the rest of the line: aliases, variables it reads,
    the directory, files it writes, and the output a later ``| sh`` would run."""
    program, rest, values, inv = call.program, call.words, call.values, call.inv
    record = call.record
    scope = record.scope
    if program == "alias":
        _define_aliases(values, scope.shared.aliases)
    elif program == "read":
        for name in parsed.positionals:
            if _IDENT.fullmatch(name):
                scope.env[name] = Var(None)
    if program in ("echo", "printf") and all(word.literal for word in rest):
        record.stdout_literal = fold_output(program, values)
    elif program == "cat" and not rest and inv.stdin_text is not None and not inv.stdin_dynamic:
        record.stdout_literal = inv.stdin_text
    workdir.change_dir(program, rest, scope.env, scope.home)
    if program == "git" and subcommand == "clone":
        remember_clone(record, parsed.positionals)


def _runs_more(call: Call) -> None:
    """Queue what the program runs beyond itself: a function defined on the line, the
    command a runner is given (``uv run``, ``docker exec``), or a file written earlier."""
    program, record = call.program, call.record
    if call.sink.call_function(program, call.words, record.scope):
        return
    if program in RUNNERS:
        runs = commands_run(program, call.values, call.inv.stdin_text)
        if runs is not None:
            record.dynamic = record.dynamic or runs.dynamic
            if runs.start >= 0:
                call.run_words(call.words[runs.start :])
            for code in runs.code:
                call.nest(code)
    if record.script_path:
        run_written(record, call)


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
    where = workdir.base(scope.env)
    if where is not None:
        home = scope.home
        record.reads = [workdir.resolve(path, where, home) for path in record.reads]
        record.writes = [workdir.resolve(path, where, home) for path in record.writes]
        record.script_path = workdir.resolve(record.script_path, where, home)
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
