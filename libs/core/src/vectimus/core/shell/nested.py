"""Programs that run other commands: shells, eval, xargs, find -exec, interpreters.

Each one sets its own record's facts (inline code, script, dynamic) and hands the commands
it would run back to the walker, which analyses them like any other input, with this
program added to their wrappers and the same pipeline position.
"""

from __future__ import annotations

from collections.abc import Callable

from vectimus.core.shell.call import Call
from vectimus.core.shell.flags import read_find
from vectimus.core.shell.inline import interpreter_kind, read_interpreter, scan_code
from vectimus.core.shell.model import Record, Word
from vectimus.core.shell.names import raw_value
from vectimus.core.shell.options import Parsed, parse_options, spec, word_set
from vectimus.core.shell.pathnorm import canonical_path
from vectimus.core.shell.progtable import UNIX
from vectimus.core.shell.winshell import run_windows_shell

SHELLS = word_set("sh bash zsh dash ksh mksh ash fish csh tcsh")
_SHELL_VALUES = frozenset({"-o", "+o", "-O", "+O", "--rcfile", "--init-file"})
_WATCH = spec("-n --interval -d -g -t -b -e -p -c -q", stop_at_positional=True)
_SU = spec("-c --command -s --shell -g --group -G --supp-group -w -u --user")


Handler = Callable[[Call], Parsed | None]


def runs_code(program: str) -> bool:
    """Whether ``program`` is one :func:`special` handles."""
    return program in HANDLERS or bool(interpreter_kind(program))


def special(call: Call) -> Parsed | None:
    """Handle a program that runs other code; None means read it as an ordinary program."""
    handler = HANDLERS.get(call.program)
    if handler is not None:
        return handler(call)
    kind = interpreter_kind(call.program)
    return _interpreter(call, kind) if kind else None


def script(word: Word, record: Record) -> None:
    if word.literal and not word.glob:
        record.script_path = canonical_path(word.value, record.scope.home)
    else:
        # ``bash <(curl x)`` or ``source "$f"``: the code run is not known.
        record.dynamic = True


def opaque(word: Word, value: str) -> bool:
    """A non-literal word that starts with an expansion: nothing in it is known code."""
    return not word.literal and value.lstrip().startswith(("$", "`", "("))


def _from_stdin(call: Call) -> None:
    inv, record = call.inv, call.record
    if inv.stdin_text is not None:
        call.nest(inv.stdin_text)
        record.stdin_resolved = not inv.stdin_dynamic
        record.dynamic = record.dynamic or inv.stdin_dynamic
        return
    for redirect in inv.redirects:
        if redirect.op == "<" and redirect.target is not None:
            script(redirect.target, record)
            return
    record.stdin_code = True
    previous = call.sink.previous_stage(inv.scope)
    if previous is not None and previous.stdout_literal is not None:
        # ``echo 'rm -rf /' | sh``: the code is right there.
        call.nest(previous.stdout_literal)
        record.stdin_resolved = True


def _shell_options(values: list[str], parsed: Parsed) -> int:
    """Read a shell's own options; the index of its first operand."""
    index, count = 0, len(values)
    while index < count:
        value = values[index]
        if value in ("--", "-"):
            return index + 1
        if value in _SHELL_VALUES:
            parsed.flags.add(value)
            parsed.canonical.append(value)
            if index + 1 < count:
                parsed.values.append((value, values[index + 1]))
            index += 2
            continue
        if len(value) < 2 or value[0] not in "-+":
            return index
        letters = [value] if value.startswith("--") else ["-" + c for c in value[1:]]
        parsed.flags.update(letters)
        parsed.canonical.extend(letters)
        index += 1
    return index


def _shell(call: Call) -> Parsed:
    parsed = Parsed()
    index = _shell_options(call.values, parsed)
    record = call.record
    rest_words, rest = call.words[index:], call.values[index:]
    if "-c" in parsed.flags and rest:
        record.inline_code = rest[0]
        if opaque(rest_words[0], rest[0]):
            # ``sh -c "$(curl x)"``: the substitution is analysed already; its output is not.
            record.dynamic = True
        else:
            call.nest(rest[0], positional=rest_words[1:])
        rest = rest[1:]
    elif rest and "-s" not in parsed.flags:
        script(rest_words[0], record)
        if rest[0] in ("-", "/dev/stdin"):
            _from_stdin(call)
    else:
        _from_stdin(call)
    parsed.args.extend(rest)
    parsed.positionals.extend(rest)
    return parsed


def _eval(call: Call) -> Parsed:
    parsed = Parsed()
    words, values, record = call.words, call.values, call.record
    if call.program == "invoke-expression":
        values = [raw_value(word) for word in words if word.value.lower() != "-command"]
    if not values:
        record.stdin_code = True
        return parsed
    record.inline_code = " ".join(values)
    if not all(word.literal for word in words):
        record.dynamic = True
        if all(opaque(word, value) for word, value in zip(words, values, strict=False)):
            return parsed
    call.nest(record.inline_code)
    return parsed


def _source(call: Call) -> None:
    if call.words:
        script(call.words[0], call.record)


def _xargs(call: Call) -> Parsed:
    parsed = parse_options(call.values, UNIX["xargs"].options)
    words = call.words[parsed.end :] or [Word("echo", "echo")]
    call.run_words(_with_input(call, parsed, words))
    return parsed


_MAX_XARGS_ITEMS = 64


def _with_input(call: Call, parsed: Parsed, words: list[Word]) -> list[Word]:
    """xargs' command with the words it reads, when they are known on the line
    (``echo / | xargs rm -rf``, ``xargs rm -rf <<< /``)."""
    inv = call.inv
    text = inv.stdin_text if not inv.stdin_dynamic else None
    if text is None:
        previous = call.sink.previous_stage(inv.scope)
        text = previous.stdout_literal if previous is not None else None
    if text is None:
        return words
    replace = parsed.value_of("-I", "--replace", "-i")
    if parsed.has("-0"):
        items = text.split("\0")
    else:
        # With -I, xargs reads whole lines; otherwise blank-separated words.
        items = text.splitlines() if replace else text.split()
    items = [item for item in items if item.strip()][:_MAX_XARGS_ITEMS]
    if replace and replace[0]:
        marker = replace[0]
        filled = [w.value.replace(marker, items[0]) if items else w.value for w in words]
        return [Word(value, value) for value in filled]
    return [*words, *(Word(item, item) for item in items)]


def _find(call: Call) -> Parsed:
    parsed, runs = read_find(call.values)
    for start, end in runs:
        call.run_words(call.words[start:end])
    return parsed


def _watch(call: Call) -> Parsed:
    parsed = parse_options(call.values, _WATCH)
    call.nest(" ".join(call.values[parsed.end :]))
    return parsed


def _su(call: Call) -> Parsed:
    parsed = parse_options(call.values, _SU)
    for code in parsed.value_of("-c", "--command"):
        call.record.inline_code = code
        call.nest(code)
    return parsed


def _interpreter(call: Call, kind: str) -> Parsed:
    interpreted = read_interpreter(kind, call.values)
    record, inv = call.record, call.inv
    code = interpreted.code
    if code is None and interpreted.script is None and interpreted.module is None:
        code = inv.stdin_text
        record.stdin_code = code is None
        record.stdin_resolved = code is not None and not inv.stdin_dynamic
    elif interpreted.script == "-" and code is None:
        code = inv.stdin_text
        record.stdin_code = code is None
    elif interpreted.script is not None and code is None:
        name = interpreted.script
        script(next((w for w in call.words if w.value == name), Word(name, name)), record)
    if code is not None:
        _code_facts(call, kind, code, interpreted.inplace, interpreted.parsed)
    return interpreted.parsed


def _code_facts(call: Call, kind: str, code: str, inplace: bool, parsed: Parsed) -> None:
    record = call.record
    home = record.scope.home
    record.inline_code = code
    facts = scan_code(code, kind)
    record.reads.extend(canonical_path(path, home) for path in facts.reads)
    record.writes.extend(canonical_path(path, home) for path in facts.writes)
    record.dynamic = record.dynamic or facts.dynamic
    for command in facts.commands:
        call.nest(command)
    if inplace:
        record.writes.extend(canonical_path(path, home) for path in parsed.positionals)


HANDLERS: dict[str, Handler] = {
    **dict.fromkeys(SHELLS, _shell),
    "eval": _eval,
    "invoke-expression": _eval,
    "source": _source,
    ".": _source,
    "xargs": _xargs,
    "find": _find,
    "watch": _watch,
    "su": _su,
    "runuser": _su,
    "powershell": run_windows_shell,
    "pwsh": run_windows_shell,
    "cmd": run_windows_shell,
}
