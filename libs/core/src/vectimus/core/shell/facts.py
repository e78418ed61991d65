"""What shell analysis tells the engine about a command line.

Policies match these structured facts, not the raw string, so that ``rm -fr ~``,
``/bin/rm --recursive --force $HOME`` and ``git status && sudo rm -r -f ~/`` are one thing.
"""

from __future__ import annotations

import msgspec

from vectimus.core.events import ActionType


class SimpleCommand(msgspec.Struct, frozen=True, kw_only=True):
    """One simple command after wrappers are stripped and flags canonicalised.

    ``program`` is the lowercased basename of the program actually run (``/usr/bin/rm`` ->
    ``rm``, ``sudo -u x env A=1 rm`` -> ``rm``, ``powershell.exe`` -> ``powershell``, ``iex`` ->
    ``invoke-expression``); "" for a line of redirections only (``> ~/.bashrc``). When it
    cannot be known statically it is written as found (``$x``) and ``dynamic`` is set.

    ``flags`` holds every option spelling seen plus its canonical twin: combined short flags
    are split (``-rf`` -> ``-r``, ``-f``), a known long form adds its short twin
    (``--force`` -> ``--force`` and ``-f``), ``--opt=value`` adds ``--opt``. Windows switches
    and PowerShell parameters are lowercased (``/s``, ``-recurse``).

    ``args`` are the words that are not options, in order: positional words *and* the values
    of options (``git -C dir push`` -> ``("dir",)``, ``--index-url=URL`` -> ``("URL",)``). The
    subcommand is not repeated in ``args``; deeper levels stay (``aws s3 rb`` -> ``rb``).
    Path-like words are canonical: ``~``, ``$HOME`` and the home directory read ``~``;
    ``//``, ``/./``, ``a/..`` and trailing slashes are folded; globs stay literal. The code of
    ``-c``/``-e`` options of shells and interpreters is in ``inline_code``, not in ``args``.

    ``text`` is ``program [subcommand] sorted-canonical-flags args...``, one spelling per
    option (the twin), args quoted only when they contain spaces or quotes:
    ``rm -fr ~/`` and ``rm --recursive --force $HOME`` both read ``rm -f -r ~``.

    ``wrappers`` names what was stripped, outermost first (``sudo``, ``env``, ``nice``...;
    ``VAR=`` for an assignment), then the programs that ran this one (``bash`` for
    ``bash -c``, ``xargs``, ``find``, ``eval``, ``python3`` for ``os.system``).
    ``pipe_from``/``pipe_to`` list, in order and without repeats, the programs that feed this
    command (earlier pipeline stages, and commands inside ``$(...)``/``<(...)`` in its words
    or in variables it expands) and those it feeds (later stages).
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
