"""What shell analysis tells the engine about a command line.

Policies match these structured facts, not the raw string, so that ``rm -fr ~``,
``/bin/rm --recursive --force $HOME`` and ``git status && sudo rm -r -f ~/`` are one thing.
"""

from __future__ import annotations

import msgspec

from vectimus.core.events import ActionType


class SimpleCommand(msgspec.Struct, frozen=True, kw_only=True):
    """One simple command after wrappers are stripped and flags canonicalised.

    ``program`` is the basename of the program actually run (``/usr/bin/rm`` -> ``rm``,
    ``sudo -u x env A=1 rm`` -> ``rm``). ``flags`` holds canonical flags: combined short
    flags are split (``-rf`` -> ``-r``, ``-f``) and known long forms are mapped to their short
    twin (``--recursive`` -> ``-r``), keeping the long spelling too. ``args`` are the
    positional words in order, with ``~``, ``$HOME`` and ``${HOME}`` written as ``~`` and paths
    normalised (``/./`` and ``//`` folded). ``text`` is the canonical command line.
    """

    program: str
    args: tuple[str, ...] = ()
    flags: frozenset[str] = frozenset()
    text: str = ""
    action_type: ActionType = "shell_command"
    subcommand: str = ""
    wrappers: tuple[str, ...] = ()
    read_paths: tuple[str, ...] = ()
    write_paths: tuple[str, ...] = ()
    pipe_from: tuple[str, ...] = ()
    pipe_to: tuple[str, ...] = ()
    inline_code: str = ""
    script_path: str = ""
    dynamic: bool = False


class ShellAnalysis(msgspec.Struct, frozen=True, kw_only=True):
    """Every simple command found in one command line, nested ones included."""

    raw: str
    commands: tuple[SimpleCommand, ...] = ()
    parse_error: bool = False
    programs: frozenset[str] = frozenset()
