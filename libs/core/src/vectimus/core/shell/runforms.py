"""Programs whose command is found in a way of their own.

``screen -X stuff``, ``tmux send-keys``, ``gcloud compute ssh --command``, ``vagrant ssh -c``,
``vim -c ':!cmd'``, ``gdb -ex '!cmd'``, GNU ``parallel CMD ::: ARGS`` and awk's
``system()``: each reader returns what the program runs, as :class:`~.model.Runs`.
"""

from __future__ import annotations

from vectimus.core.shell.awkcode import awk_commands
from vectimus.core.shell.gitrun import git_runs
from vectimus.core.shell.model import Runs
from vectimus.core.shell.options import positional_words, word_set

_TMUX_KEYS = word_set("Enter C-m KPEnter Escape C-c C-d Tab Space BSpace")
EDITORS = word_set("vi vim nvim ex view gvim rvim")
_EDITOR_CODE = word_set("-c --cmd")
_GDB_CODE = word_set("-ex -iex --eval-command --init-eval-command")
_MAX_PARALLEL = 16


def tmux_keys(values: list[str]) -> Runs | None:
    """``tmux send-keys -t main 'rm -rf /' Enter`` types a command line into a shell."""
    typed: list[str] = []
    index = 0
    while index < len(values):
        word = values[index]
        if word in ("-t", "-N", "-T"):
            index += 2
            continue
        if not word.startswith("-") and word not in _TMUX_KEYS:
            typed.append(word)
        index += 1
    return Runs(code=(" ".join(typed),)) if typed else None


def _screen(values: list[str]) -> Runs | None:
    index = 0
    while index < len(values):
        word = values[index]
        if word == "-X":
            rest = values[index + 1 :]
            if len(rest) > 1 and rest[0] == "stuff":
                return Runs(code=(rest[1].replace("\\n", "\n"),))
            return None
        if word in ("-S", "-c", "-e", "-h", "-p", "-s", "-T", "-Logfile") or (
            word.startswith("-") and len(word) > 2 and word[-1] in "Scehps"
        ):
            # ``-dmS name``: a cluster ending with an option that takes a value.
            index += 2
        elif word.startswith("-"):
            index += 1
        else:
            return Runs(start=index)
    return None


def _gcloud(values: list[str]) -> Runs | None:
    code = [v.partition("=")[2] for v in values if v.startswith("--command=")]
    code += [values[i + 1] for i, v in enumerate(values[:-1]) if v == "--command"]
    return Runs(code=tuple(code)) if code and "ssh" in values else None


def _vagrant(values: list[str]) -> Runs | None:
    if not values or values[0] != "ssh":
        return None
    code = [values[i + 1] for i, v in enumerate(values[:-1]) if v in ("-c", "--command")]
    return Runs(code=tuple(code)) if code else None


def editor(values: list[str]) -> Runs | None:
    """vi's ``-c ':!cmd'`` and ``+'!cmd'`` run a shell command."""
    found: list[str] = []
    for index, word in enumerate(values):
        command = ""
        if word in _EDITOR_CODE and index + 1 < len(values):
            command = values[index + 1]
        elif word.startswith("+"):
            command = word[1:]
        command = command.lstrip(": ")
        if command.startswith("!"):
            found.append(command[1:])
    return Runs(code=tuple(found)) if found else None


def _gdb(values: list[str]) -> Runs | None:
    found: list[str] = []
    for index, word in enumerate(values[:-1]):
        if word in _GDB_CODE:
            command = values[index + 1].strip()
            if command.startswith("!"):
                found.append(command[1:])
            elif command.startswith("shell "):
                found.append(command[6:])
    return Runs(code=tuple(found)) if found else None


def _parallel(values: list[str]) -> Runs | None:
    if ":::" not in values:
        return None
    split = values.index(":::")
    first = 0
    while first < split and values[first].startswith("-"):
        first += 1
    template = values[first:split]
    inputs = [v for v in values[split + 1 :] if v not in (":::", "::::")][:_MAX_PARALLEL]
    if not template:
        return Runs(code=tuple(inputs))
    joined = " ".join(template)
    return Runs(
        code=tuple(
            joined.replace("{}", value) if "{}" in joined else f"{joined} {value}"
            for value in inputs
        )
    )


_AWK_VALUES = word_set("-F --field-separator -v --assign -i --include -l --load")


def _awk(values: list[str]) -> Runs | None:
    """awk's ``system("...")`` and its pipes to and from commands."""
    if any(v in ("-f", "--file") or (v.startswith("-f") and len(v) > 2) for v in values):
        return None
    program = positional_words(values, _AWK_VALUES)[:1]
    if not program or ("system" not in program[0] and "|" not in program[0]):
        return None
    commands, computed = awk_commands(program[0])
    return Runs(code=tuple(commands), dynamic=computed)


SPECIAL = {
    "git": git_runs,
    "awk": _awk,
    "gawk": _awk,
    "mawk": _awk,
    "nawk": _awk,
    "screen": _screen,
    "gcloud": _gcloud,
    "vagrant": _vagrant,
    "gdb": _gdb,
    "parallel": _parallel,
}
