"""The entry point: analyse one command line into structured facts."""

from __future__ import annotations

import gc
import os

from vectimus.core.shell.facts import ShellAnalysis, SimpleCommand
from vectimus.core.shell.model import Record
from vectimus.core.shell.pathnorm import usable_home
from vectimus.core.shell.walk import Walker

# pipe_from/pipe_to keep the first programs seen, in order, without repeats.
MAX_PIPE = 64
_GC_PAUSE_ABOVE = 4096


def analyse(command: str, *, home: str | None = None, windows: bool = False) -> ShellAnalysis:
    """Every simple command in ``command``, unwrapped, canonicalised and classified.

    Never raises on a ``str``: input tree-sitter cannot parse, or longer than
    :data:`~vectimus.core.shell.walk.MAX_SOURCE`, is split by a conservative tokenizer
    and reported with ``parse_error=True``. ``home`` (default: the current user's) is the
    directory written as ``~`` in paths. ``windows`` reads the line as PowerShell or
    cmd.exe code (a PowerShell tool's command), whose backslashes are path separators.
    """
    if not isinstance(command, str):
        command = str(command)
    if home is None:
        # os.path.expanduser never raises; Path.expanduser does when no home can be found.
        home = os.path.expanduser("~")  # noqa: PTH111
    home = usable_home(home)
    # Large inputs allocate many short-lived objects; cyclic GC passes over them would
    # dominate the run time, and nothing here makes cycles that outlive the call.
    pause_gc = len(command) > _GC_PAUSE_ABOVE and gc.isenabled()
    if pause_gc:
        gc.disable()
    try:
        return _analyse(command, Walker(home), windows=windows)
    except Exception:  # noqa: BLE001 - analysis must not raise; a bug gets the tokenizer
        try:
            return _analyse(command, Walker(home, tokenize_only=True), parse_error=True)
        except Exception:  # noqa: BLE001 - and if even that fails, say nothing is known
            unknown = SimpleCommand(program="", dynamic=True, inline_code=command)
            return ShellAnalysis(raw=command, commands=(unknown,), parse_error=True)
    finally:
        if pause_gc:
            gc.enable()


def _analyse(
    command: str, walker: Walker, *, parse_error: bool = False, windows: bool = False
) -> ShellAnalysis:
    walker.run(command, windows=windows)
    records = walker.records
    related = any(record.scope.pipe or record.scope.feeds for record in records)
    before, after = _pipe_neighbours(records) if related else ({}, {})
    fed = _fed_by(records) if related else {}
    commands: dict[SimpleCommand, None] = {}
    for record in records:
        pipe_from = before.get(record.id, ())
        feeders = fed.get(record.id, ())
        for taint in record.taints:
            feeders = (*feeders, *fed.get(taint, ()))
        if feeders or record.fed_through_files:
            pipe_from = _unique((*pipe_from, *feeders, *record.fed_through_files))
        commands[_fact(record, pipe_from, after.get(record.id, ()))] = None
    return ShellAnalysis(
        raw=command,
        commands=tuple(commands),
        parse_error=parse_error or walker.shared.parse_error,
        programs=frozenset(c.program for c in commands if c.program),
    )


def _fact(record: Record, pipe_from: tuple[str, ...], pipe_to: tuple[str, ...]) -> SimpleCommand:
    dynamic = record.dynamic
    if record.stdin_code and not record.stdin_resolved and _has_upstream(record):
        # ``curl x | sh`` or ``echo ... | base64 -d | sh``: the code arrives on stdin.
        dynamic = True
    return SimpleCommand(
        program=record.program,
        args=tuple(record.args),
        flags=frozenset(record.flags),
        text=record.text,
        action_type=record.action_type,
        subcommand=record.subcommand,
        wrappers=record.wrappers,
        read_paths=tuple(record.reads),
        write_paths=tuple(record.writes),
        pipe_from=pipe_from,
        pipe_to=pipe_to,
        inline_code=record.inline_code,
        script_path=record.script_path,
        dynamic=dynamic,
    )


def _has_upstream(record: Record) -> bool:
    return any(stage > 0 for _, stage in record.scope.pipe)


def _pipe_neighbours(
    records: list[Record],
) -> tuple[dict[int, tuple[str, ...]], dict[int, tuple[str, ...]]]:
    """Programs before and after each record in every pipeline that contains it."""
    before: dict[int, tuple[str, ...]] = {}
    after: dict[int, tuple[str, ...]] = {}
    stages: dict[int, dict[int, list[Record]]] = {}
    for record in records:
        for pipeline, stage in record.scope.pipe:
            stages.setdefault(pipeline, {}).setdefault(stage, []).append(record)
    for by_stage in stages.values():
        order = sorted(by_stage)
        programs = [[r.program for r in by_stage[stage] if r.program] for stage in order]
        seen: dict[str, None] = {}
        for index, stage in enumerate(order):
            if seen:
                _merge(before, by_stage[stage], tuple(seen))
            for program in programs[index]:
                if len(seen) < MAX_PIPE:
                    seen[program] = None
        suffix: tuple[str, ...] = ()
        for index in range(len(order) - 1, -1, -1):
            if suffix:
                _merge(after, by_stage[order[index]], suffix)
            suffix = _unique((*programs[index], *suffix))
    return before, after


def _merge(
    out: dict[int, tuple[str, ...]], records: list[Record], programs: tuple[str, ...]
) -> None:
    for record in records:
        known = out.get(record.id)
        out[record.id] = programs if known is None else _unique((*known, *programs))


def _fed_by(records: list[Record]) -> dict[int, tuple[str, ...]]:
    """For each command (or tainted variable) id, the programs whose output it consumes."""
    fed: dict[int, dict[str, None]] = {}
    for record in records:
        if not record.program:
            continue
        for target in record.scope.feeds:
            programs = fed.setdefault(target, {})
            if len(programs) < MAX_PIPE:
                programs[record.program] = None
    return {target: tuple(programs) for target, programs in fed.items()}


def _unique(programs: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(programs))[:MAX_PIPE]
