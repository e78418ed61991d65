"""Backslash escapes of ``$'...'``, ``printf`` and ``echo -e``, decoded as bash does.

Payloads such as ``$'\\x72\\x6d'`` or ``$(printf '\\162\\155')`` spell a program name in
escapes; decoding them is what lets ``rm`` be seen.
"""

from __future__ import annotations

import re

_SIMPLE = {
    "a": "\a",
    "b": "\b",
    "e": "\x1b",
    "E": "\x1b",
    "f": "\f",
    "n": "\n",
    "r": "\r",
    "t": "\t",
    "v": "\v",
    "\\": "\\",
    "'": "'",
    '"': '"',
    "?": "?",
}
_ANSI_C = re.compile(
    r"\\(?:x([0-9a-fA-F]{1,2})|u([0-9a-fA-F]{1,4})|U([0-9a-fA-F]{1,8})|([0-7]{1,3})|c(.)|(.))",
    re.DOTALL,
)
# printf and echo -e write octal as \0NNN as well as \NNN.
_PRINTF = re.compile(
    r"\\(?:x([0-9a-fA-F]{1,2})|u([0-9a-fA-F]{1,4})|U([0-9a-fA-F]{1,8})|0?([0-7]{1,3})|c(.)|(.))",
    re.DOTALL,
)
_FORMAT = re.compile(r"%%|%[-+ 0#]*\d*(?:\.\d+)?([a-zA-Z])|%")
_MAX_ROUNDS = 32
_ECHO_OPTION = re.compile(r"-[neE]+")


def _char(code: int) -> str:
    try:
        return chr(code)
    except (ValueError, OverflowError):
        return "\ufffd"


def _replace(match: re.Match[str]) -> str:
    hexa, short, long, octal, control, other = match.groups()
    if hexa is not None:
        return _char(int(hexa, 16))
    if short is not None:
        return _char(int(short, 16))
    if long is not None:
        return _char(int(long, 16))
    if octal is not None:
        return _char(int(octal, 8) & 0xFF)
    if control is not None:
        return _char(ord(control) & 0x1F)
    return _SIMPLE.get(other, "\\" + other)


def decode_ansi_c(body: str) -> str:
    """The value of ``$'body'``."""
    if "\\" not in body:
        return body
    return _ANSI_C.sub(_replace, body)


def decode_printf(body: str) -> str:
    if "\\" not in body:
        return body
    return _PRINTF.sub(_replace, body)


def fold_output(program: str, args: list[str]) -> str | None:
    """What ``program args`` prints, for ``printf`` and ``echo``; None for anything else."""
    if program == "echo":
        return _echo(args)
    if program == "printf":
        return _printf(args)
    return None


def _echo(args: list[str]) -> str:
    escapes = False
    while args and _ECHO_OPTION.fullmatch(args[0]):
        escapes = "e" in args[0] or (escapes and "E" not in args[0])
        args = args[1:]
    text = " ".join(args)
    return decode_printf(text) if escapes else text


def _printf(args: list[str]) -> str | None:
    if not args or args[0].startswith("-"):
        return None
    fmt, rest = args[0], list(args[1:])
    out: list[str] = []
    for _ in range(_MAX_ROUNDS):
        consumed = 0
        position = 0
        for match in _FORMAT.finditer(fmt):
            out.append(decode_printf(fmt[position : match.start()]))
            position = match.end()
            spec = match.group(1)
            if match.group(0) == "%%":
                out.append("%")
                continue
            if spec not in ("s", "b", "q", "c", "d", "i"):
                return None
            value = rest[consumed] if consumed < len(rest) else ""
            consumed += 1
            if spec == "b":
                value = decode_printf(value)
            elif spec == "c":
                value = value[:1]
            elif spec in ("d", "i"):
                value = value if value.lstrip("-").isdigit() else "0"
            out.append(value)
        out.append(decode_printf(fmt[position:]))
        rest = rest[consumed:]
        if not rest or consumed == 0:
            break
    return "".join(out)
