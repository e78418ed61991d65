"""The daemon's wire format: one request and one reply per connection, as netstrings.

A message is a sequence of fields, each ``<length>:<bytes>,``. The client sends its fields,
shuts down its writing side, and reads the reply until the daemon closes. Fields are raw
bytes, so the hook payload travels without being parsed (or even decoded) by the shim.

Requests (first field is the verb):

- ``hook``, source, cwd, environment (``NAME=value`` joined by NUL), payload
- ``status``
- ``admin``, secret, command, argument (JSON)

Replies (first field is the outcome):

- ``ok``, exit status, stdout bytes, stderr bytes      (for ``hook``)
- ``ok``, JSON body                                     (for ``status`` and ``admin``)
- ``refused``, message   (the caller falls back to its next evaluator, or reports it)

Stdlib only, no imports: the shim loads this on every call.
"""

from __future__ import annotations

MAX_MESSAGE = 64 * 1024 * 1024


class WireError(ValueError):
    """A message that is not a well-formed sequence of netstrings."""


def pack(*fields: bytes) -> bytes:
    return b"".join(b"%d:%b," % (len(field), field) for field in fields)


def unpack(data: bytes) -> list[bytes]:
    fields: list[bytes] = []
    position, end = 0, len(data)
    while position < end:
        colon = data.find(b":", position, position + 21)
        if colon < 0:
            raise WireError("a field has no length")
        digits = data[position:colon]
        if not digits.isdigit():
            raise WireError("a field length is not a number")
        start = colon + 1
        stop = start + int(digits)
        if stop >= end or data[stop : stop + 1] != b",":
            raise WireError("a field is truncated")
        fields.append(data[start:stop])
        position = stop + 1
    return fields


def pack_environ(pairs: dict[bytes, bytes]) -> bytes:
    return b"\0".join(name + b"=" + value for name, value in sorted(pairs.items()))


def unpack_environ(blob: bytes) -> dict[str, str]:
    environ: dict[str, str] = {}
    for item in blob.split(b"\0") if blob else ():
        name, _, value = item.partition(b"=")
        environ[name.decode("utf-8", "surrogateescape")] = value.decode("utf-8", "surrogateescape")
    return environ
