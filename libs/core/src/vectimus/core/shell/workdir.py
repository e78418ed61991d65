"""``cd`` on the line: later relative paths are relative to where it went.

``cd / && rm -rf usr`` deletes ``/usr``. The directory is kept in the ``PWD`` variable of
the analysis (so ``$PWD`` reads it too), as a path relative to the call's working
directory (``..``, ``src``) or an absolute one (``/``, ``~``); a ``cd`` whose target is not
known makes it unknown, and paths are then left as written.
"""

from __future__ import annotations

import posixpath

from vectimus.core.shell.model import Env, Var, Word
from vectimus.core.shell.options import word_set
from vectimus.core.shell.pathnorm import canonical_path

# Programs whose plain words are paths they change: their arguments are resolved too.
PATH_PROGRAMS = word_set("rm rmdir unlink shred chmod chown chgrp find truncate touch cp mv ln")
_CHANGERS = frozenset({"cd", "pushd", "popd", "chdir"})
_MAX_PATH = 4096


def change_dir(program: str, args: list[Word], env: Env, home: str) -> None:
    """Move ``PWD`` as ``cd``/``pushd`` would; an unknown target makes it unknown."""
    if program not in _CHANGERS:
        return
    targets = [word for word in args if not word.value.startswith("-") or word.value == "-"]
    if program == "popd" or (targets and targets[0].value == "-"):
        env["PWD"] = Var(None)
        return
    target = targets[0] if targets else Word("~", "~")
    if not target.literal or target.glob:
        env["PWD"] = Var(None)
        return
    current = env.get("PWD")
    if current is not None and current.value is None:
        return
    here = current.value if current is not None and current.value is not None else "."
    value = target.value
    joined = value if value.startswith(("/", "~")) else posixpath.join(here, value)
    if len(joined) > _MAX_PATH:
        # ``cd a && cd a && ...`` thousands deep: stop following rather than grow each step.
        env["PWD"] = Var(None)
        return
    env["PWD"] = Var(canonical_path(posixpath.normpath(joined), home))


def base(env: Env) -> str | None:
    """Where relative paths point now, relative to the call's directory; None: unchanged."""
    current = env.get("PWD")
    if current is None or current.value in (None, "."):
        return None
    return current.value


def resolve(path: str, where: str, home: str) -> str:
    """``path`` as seen from ``where`` (a relative or absolute directory)."""
    if not path or path.startswith(("/", "~", "$", "-")) or "://" in path or "\\" in path:
        return path
    if len(path) > 1 and path[1] == ":":
        return path
    return canonical_path(posixpath.normpath(posixpath.join(where, path)), home)
