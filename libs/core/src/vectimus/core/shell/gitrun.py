"""What git runs through its configuration and its command-running subcommands.

``git -c core.pager='rm -rf /' log``, ``git config alias.x '!rm -rf ~'``, ``git submodule
foreach CMD``, ``git bisect run CMD...`` and ``git rebase --exec CMD`` all hand a command
line to a shell.
"""

from __future__ import annotations

from vectimus.core.shell.model import Runs
from vectimus.core.shell.options import positional_words, word_set

# Configuration whose value git runs as a command (``git -c core.pager='sh -c ...' log``).
_GIT_COMMAND_KEYS = word_set(
    "core.pager core.editor core.sshcommand core.fsmonitor core.askpass sequence.editor "
    "diff.external gpg.program gpg.ssh.program gpg.x509.program uploadpack.packobjectshook "
    "credential.helper"
)
_GIT_COMMAND_SUFFIXES = (".clean", ".smudge", ".process", ".driver", ".textconv", ".command")
_GIT_GLOBAL = word_set("-C -c --git-dir --work-tree --namespace --super-prefix --config-env")
_GIT_CONFIG_VALUES = word_set("-f --file --blob --type --default --comment")


def _git_setting(key: str, value: str) -> str | None:
    key = key.lower()
    if key.startswith("alias.") or key == "credential.helper":
        # An alias or helper that starts with ``!`` is a shell command.
        return value[1:] if value.startswith("!") else None
    if key in _GIT_COMMAND_KEYS or key.startswith("pager."):
        return value
    if key.startswith(("filter.", "merge.", "diff.")) and key.endswith(_GIT_COMMAND_SUFFIXES):
        return value
    return None


def git_runs(values: list[str]) -> Runs | None:
    """What ``git values...`` runs besides itself, or None."""
    settings: list[tuple[str, str]] = []
    index = 0
    while index < len(values) and values[index].startswith("-"):
        word = values[index]
        if word == "-c" and index + 1 < len(values):
            key, _, value = values[index + 1].partition("=")
            settings.append((key, value))
        index += 2 if word in _GIT_GLOBAL else 1
    rest = values[index + 1 :]
    sub = values[index] if index < len(values) else ""
    if sub == "config":
        positional = positional_words(rest, _GIT_CONFIG_VALUES)
        if len(positional) >= 2:
            settings.append((positional[0], positional[1]))
    if sub == "bisect" and rest[:1] == ["run"] and len(rest) > 1:
        return Runs(start=index + 2)
    code = _subcommand_code(sub, rest)
    code.extend(command for key, value in settings if (command := _git_setting(key, value)))
    return Runs(code=tuple(code)) if code else None


def _subcommand_code(sub: str, rest: list[str]) -> list[str]:
    """``git submodule foreach CMD`` and ``git rebase --exec CMD``."""
    code: list[str] = []
    if sub == "submodule" and "foreach" in rest:
        after = [v for v in rest[rest.index("foreach") + 1 :] if v not in ("--recursive", "-q")]
        code.append(" ".join(after))
    elif sub == "rebase":
        for position, word in enumerate(rest):
            if word in ("-x", "--exec") and position + 1 < len(rest):
                code.append(rest[position + 1])
            elif word.startswith("--exec="):
                code.append(word.partition("=")[2])
    return code
