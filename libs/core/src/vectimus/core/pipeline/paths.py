"""Where a call's paths point: absolute against its working directory, the home as ``~``.

Pure text (``posixpath``), never the file system: the same payload means the same paths on
every machine, a gateway's included.
"""

from __future__ import annotations

import posixpath
import re

from vectimus.core.shell.pathnorm import canonical_path

_SLASHES = re.compile(r"/+")


def lineage(cwd: str, home: str) -> list[str]:
    """The working directory and each directory above it, canonical; [] when unknown."""
    if not cwd:
        return []
    if is_windows(cwd) or "\\" in cwd:
        path = windows_path(cwd)
        out = [path]
        while "/" in path.rstrip("/"):
            path = path.rstrip("/").rsplit("/", 1)[0]
            out.append(path + "/" if path.endswith(":") else path)
        return out
    here = posixpath.normpath(expand_home(cwd, home)) if cwd.startswith("~") else cwd
    if not here.startswith("/"):
        return [canonical_path(here, home)]
    here = posixpath.normpath(here)
    out = []
    while True:
        out.append(canonical_path(here, home))
        if here == "/":
            return list(dict.fromkeys(out))
        here = posixpath.dirname(here)


def windows_path(path: str) -> str:
    """A Windows path folded for matching: lower case, forward slashes, ``c:`` as ``c:/``."""
    folded = _SLASHES.sub("/", path.lower().replace("\\", "/"))
    if len(folded) == 2 and folded[1] == ":":
        return folded + "/"
    if len(folded) > 3 and folded.endswith("/"):
        folded = folded.rstrip("/")
    return folded


def absolute(path: str, cwd: str, home: str) -> str:
    """A path as policies see it: absolute where the cwd is known, the home dir as ``~``."""
    if not path:
        return ""
    if not path.startswith(("/", "~", "$")) and cwd and not is_windows(path):
        path = posixpath.join(cwd, path)
    return canonical_path(path, home)


def is_windows(path: str) -> bool:
    return len(path) > 1 and path[1] == ":"


def expand_home(path: str, home: str) -> str:
    if path == "~" or path.startswith("~/"):
        return (home or posixpath.expanduser("~")) + path[1:]
    return path
