"""Canonical spelling of path arguments, so policies compare one form.

``$HOME/.ssh``, ``~/.ssh/``, ``/home/me//.ssh`` and ``/home/me/./.ssh`` all become
``~/.ssh``. Folding is purely textual (``posixpath.normpath``): no symlinks are resolved and
the filesystem is never touched. URLs and Windows paths are left alone.
"""

from __future__ import annotations

import posixpath


def usable_home(home: str) -> str:
    """``home`` if it can be folded to ``~`` safely; a home of ``/`` would swallow everything."""
    home = home.rstrip("/")
    return home if home.startswith("/") and len(home) > 1 else ""


def canonical_path(value: str, home: str, *, relative: bool = True) -> str:
    """The canonical spelling of ``value`` if it is a path; other words come back unchanged.

    ``relative`` allows folding bare ``a//b`` style words; callers turn it off for programs
    whose positional words are patterns (``sed 's/a//'`` must not lose a slash).
    """
    if not value or "://" in value or "\\" in value:
        return value
    if home.endswith("/"):
        home = usable_home(home)
    first = value[0]
    if first == "/":
        return _absolute(value, home)
    if first == "~":
        return _home_relative(value, home)
    if value in (".", ".."):
        return value
    if "/" not in value:
        return value
    if not relative and not value.startswith(("./", "../")):
        return value
    if any(char.isspace() for char in value):
        return value
    return posixpath.normpath(value)


def _absolute(value: str, home: str) -> str:
    if "//" in value or "/." in value or (value.endswith("/") and len(value) > 1):
        value = posixpath.normpath(value)
        if value.startswith("//"):
            value = "/" + value.lstrip("/")
    if home and (value == home or value.startswith(home + "/")):
        return "~" + value[len(home) :]
    return value


def _home_relative(value: str, home: str) -> str:
    if value == "~":
        return value
    head, _, rest = value.partition("/")
    if home and head == "~" + posixpath.basename(home):
        # ``~dev`` is the home directory when the user is dev.
        return _home_relative("~/" + rest if rest else "~", home)
    if not value.startswith("~/"):
        # ``~user/x`` or ``~+``: only the separators can be folded safely.
        return head + "/" + posixpath.normpath(rest) if rest else head
    rest = value[2:]
    if not rest.strip("/"):
        return "~"
    folded = posixpath.normpath(rest)
    if folded == ".":
        return "~"
    if folded == ".." or folded.startswith("../"):
        # ``~/..`` leaves the home directory; say where it lands when we know the home.
        if home:
            return _absolute(posixpath.normpath(home + "/" + rest), home)
        return "~/" + folded
    return "~/" + folded
