"""The few user-config values the hook shim needs, read without ``tomllib``.

The shim needs ``[server] url`` (where the team gateway is), ``[hook] explicit_allow`` (how
to render an allow) and ``[identity] principal`` (for enrichment) on every call. ``tomllib``
costs about 11 ms to import, as much as the whole rest of the shim, so this module reads the
file line by line and understands the plain forms people write (``[server]`` then
``url = "https://..."``, dotted keys, comments, multi-line arrays of other keys). Whenever a
wanted key appears in any other form (an inline table, an escaped or multi-line string, a
quoted key), or the file has a construct the scanner does not follow, it hands the file to
``tomllib`` instead, so the answer is always what the full loader would read.

Only the user-level file is read: a project config may not set these (a project that could
set the server URL could redirect its own governance).
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable

Key = tuple[str, ...]
Value = str | bool

WANTED: tuple[Key, ...] = (
    ("server", "url"),
    ("hook", "explicit_allow"),
    ("identity", "principal"),
)
_BARE = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-")


class _UnsureError(Exception):
    """The scanner met a form it does not follow: let tomllib read the file."""


def read(path: str, wanted: Iterable[Key] = WANTED) -> dict[Key, Value]:
    """The wanted keys found in the TOML file at ``path`` (an unreadable file gives {})."""
    try:
        with open(path, "rb") as handle:
            data = handle.read()
    except OSError:
        return {}
    keys = tuple(wanted)
    try:
        return scan(data.decode("utf-8"), keys)
    except (_UnsureError, UnicodeDecodeError):
        return _with_tomllib(data, keys)


def _with_tomllib(data: bytes, keys: tuple[Key, ...]) -> dict[Key, Value]:
    import tomllib

    try:
        document = tomllib.loads(data.decode("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError):
        return {}
    found: dict[Key, Value] = {}
    for key in keys:
        node: object = document
        for part in key:
            node = node.get(part) if isinstance(node, dict) else None
        if isinstance(node, str | bool):
            found[key] = node
    return found


def scan(text: str, keys: tuple[Key, ...]) -> dict[Key, Value]:
    """Read ``keys`` from TOML ``text``; raises _UnsureError for forms it does not follow."""
    if '"""' in text or "'''" in text:
        raise _UnsureError
    found: dict[Key, Value] = {}
    table: Key = ()
    depth = 0  # open brackets of a multi-line array value
    for raw_line in text.splitlines():
        line = raw_line.strip()
        if depth:
            depth = _brackets(line, depth)
            continue
        if not line or line[0] == "#":
            continue
        if line[0] == "[":
            table = _header(line)
            continue
        name, sep, rest = line.partition("=")
        if not sep:
            raise _UnsureError
        path = table + _dotted(name.strip())
        rest = rest.strip()
        for key in keys:
            if path == key:
                found[key] = _value(rest)
            elif key[: len(path)] == path:
                raise _UnsureError  # an inline table (or other value) holding a wanted key
        depth = _brackets(rest, 0)
    return found


def _dotted(name: str) -> Key:
    parts = tuple(part.strip() for part in name.split("."))
    if not all(part and set(part) <= _BARE for part in parts):
        raise _UnsureError
    return parts


def _header(line: str) -> Key:
    array = line.startswith("[[")
    close = line.find("]]" if array else "]")
    if close < 0:
        raise _UnsureError
    tail = line[close + (2 if array else 1) :].strip()
    if tail and tail[0] != "#":
        raise _UnsureError
    path = _dotted(line[2 if array else 1 : close])
    # Keys under an array of tables are never the wanted single values.
    return ("\0array", *path) if array else path


def _value(rest: str) -> Value:
    if rest.startswith(("true", "false")):
        word = "true" if rest.startswith("true") else "false"
        _end(rest[len(word) :])
        return word == "true"
    if rest[:1] in {'"', "'"}:
        quote = rest[0]
        close = rest.find(quote, 1)
        if close < 0:
            raise _UnsureError
        content = rest[1:close]
        if quote == '"' and "\\" in content:
            raise _UnsureError
        _end(rest[close + 1 :])
        return content
    raise _UnsureError


def _end(tail: str) -> None:
    tail = tail.strip()
    if tail and tail[0] != "#":
        raise _UnsureError


def _brackets(text: str, depth: int) -> int:
    """Bracket depth after ``text`` (strings and comments skipped)."""
    index, end = 0, len(text)
    while index < end:
        char = text[index]
        if char in {'"', "'"}:
            close = index + 1
            while close < end and text[close] != char:
                close += 2 if char == '"' and text[close] == "\\" else 1
            if close >= end:
                raise _UnsureError
            index = close
        elif char == "#":
            break
        elif char == "[":
            depth += 1
        elif char == "]":
            depth -= 1
            if depth < 0:
                raise _UnsureError
        index += 1
    return depth
