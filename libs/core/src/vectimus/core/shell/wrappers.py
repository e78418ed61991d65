"""Strip programs that only run another program: ``sudo -u x env A=1 nice -n 5 rm`` is rm.

Each stripped wrapper is recorded by name (and each ``VAR=value`` by ``VAR=``) so policies
can still ask whether a command ran under ``sudo``.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, field

from vectimus.core.shell.model import Word
from vectimus.core.shell.names import program_name
from vectimus.core.shell.options import Spec, parse_options, spec

_ASSIGNMENT = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)\+?=")
_PYTHON = re.compile(r"(?:python|pypy)(?:\d+(?:\.\d+)*)?")
_PIP_MODULES = frozenset({"pip", "pip3"})


@dataclass(frozen=True, slots=True)
class _Wrapper:
    options: Spec
    # Positional words the wrapper itself consumes before the command (timeout's duration).
    operands: int = 0
    # Options after which there is no command to run (``ionice -p PID``).
    no_command: frozenset[str] = frozenset()


def _wrapper(values: str = "", operands: int = 0, no_command: str = "") -> _Wrapper:
    return _Wrapper(spec(values, stop_at_positional=True), operands, frozenset(no_command.split()))


_WRAPPERS: dict[str, _Wrapper] = {
    "sudo": _wrapper(
        "-u --user -g --group -h --host -p --prompt -C --close-from -r --role -t --type "
        "-U --other-user -T --command-timeout -D --chdir -R --chroot",
        no_command="-l --list -v --validate -k -K --reset-timestamp --remove-timestamp "
        "-e --edit -V --version",
    ),
    "doas": _wrapper("-u -C"),
    "nohup": _wrapper(),
    "nice": _wrapper("-n --adjustment"),
    "time": _wrapper("-f --format -o --output"),
    "timeout": _wrapper("-s --signal -k --kill-after", operands=1),
    "exec": _wrapper("-a"),
    "command": _wrapper(no_command="-v -V"),
    "builtin": _wrapper(),
    "stdbuf": _wrapper("-i --input -o --output -e --error"),
    "ionice": _wrapper("-c --class -n --classdata -p --pid -P --pgid -u --uid", no_command="-p"),
    "chrt": _wrapper(
        "-T --sched-runtime -P --sched-period -D --sched-deadline",
        operands=1,
        no_command="-p --pid",
    ),
    "setsid": _wrapper(),
    "taskset": _wrapper("-c --cpu-list", operands=1, no_command="-p --pid"),
    "pkexec": _wrapper("--user"),
    "busybox": _wrapper(),
    "unbuffer": _wrapper(),
    "caffeinate": _wrapper("-t -w"),
    "strace": _wrapper("-o -e -p -s -u -E -P -I -a -S -X -b", no_command="-p"),
    "ltrace": _wrapper("-o -e -p -s -u -E -a -n", no_command="-p"),
    "doppler": _wrapper(),
}


@dataclass(slots=True)
class Unwrapped:
    words: list[Word]
    wrappers: list[str] = field(default_factory=list)
    # The program name of ``words[0]``, when it was computed on the way.
    program: str | None = None


def unwrap(words: list[Word]) -> Unwrapped:
    """The command left once wrappers are removed; a lone wrapper is itself the program."""
    words = list(words)
    values = [word.value for word in words]
    out = Unwrapped(words)
    index = 0
    while index < len(words):
        head = words[index]
        if not head.literal or head.glob:
            break
        name = program_name(head)
        mark = len(out.wrappers)
        out.wrappers.append(name)
        if name == "env":
            after = _env(words, index + 1, out)
            values = [word.value for word in words]
        elif name in _WRAPPERS:
            after = _generic(values, index + 1, _WRAPPERS[name])
        elif _PYTHON.fullmatch(name):
            after = _python_module(words, index + 1)
        else:
            after = None
        if after is None or after >= len(words):
            del out.wrappers[mark:]
            out.program = name
            break
        index = after
    out.words = words[index:]
    return out


def _generic(values: list[str], start: int, wrapper: _Wrapper) -> int | None:
    parsed = parse_options(values, wrapper.options, start=start)
    if parsed.has(*wrapper.no_command):
        return None
    operands = wrapper.operands
    if operands and parsed.has("-c", "--cpu-list"):
        operands = 0
    return parsed.end + operands


def _env(words: list[Word], start: int, out: Unwrapped) -> int | None:
    index = start
    count = len(words)
    while index < count:
        value = words[index].value
        if value == "--":
            index += 1
            continue
        if value in ("-u", "--unset", "-C", "--chdir"):
            index += 2
        elif value in ("-S", "--split-string") and index + 1 < count:
            # ``env -S "rm -rf /"`` splits its argument into the command line.
            split = _split(words[index + 1].value)
            words[index : index + 2] = split
            count = len(words)
        elif value.startswith(("-S", "--split-string=")) and value not in ("-S",):
            split = _split(value.split("=", 1)[1] if "=" in value else value[2:])
            words[index : index + 1] = split
            count = len(words)
        elif (match := _ASSIGNMENT.match(value)) is not None:
            out.wrappers.append(match.group(1) + "=")
            index += 1
        elif value.startswith("-") and len(value) > 1:
            index += 1
        else:
            return index
    return None


def _split(text: str) -> list[Word]:
    try:
        parts = shlex.split(text)
    except ValueError:
        parts = text.split()
    return [Word(part, part) for part in parts]


def _python_module(words: list[Word], start: int) -> int | None:
    """``python -m pip ...`` runs pip: treat the interpreter as a wrapper of the module."""
    index = start
    while index < len(words) and index < start + 4:
        value = words[index].value
        if value == "-m" and index + 1 < len(words):
            if words[index + 1].value in _PIP_MODULES:
                return index + 1
            return None
        if not value.startswith("-") or "c" in value[1:] or "m" in value[1:]:
            return None
        index += 1
    return None
