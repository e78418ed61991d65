"""Program names: one spelling per program, whatever path, case or Windows suffix was used.

Names are lowercased because macOS file systems are case-insensitive by default (``RM``
runs ``rm`` there) and Windows names are case-insensitive everywhere.
"""

from __future__ import annotations

import re

from vectimus.core.shell.lookalike import fold
from vectimus.core.shell.model import Word
from vectimus.core.shell.options import word_set

_WINDOWS_PATH = re.compile(r"^[\"']?(?:[A-Za-z]:\\|\\\\)|\.exe[\"']?$", re.IGNORECASE)
_SEPARATORS = re.compile(r"[/\\]")
_SUFFIX = re.compile(r"\.(?:exe|com)$")
_SLASH_SWITCH = re.compile(r"/[A-Za-z?]{1,2}(?::\S*)?")

POWERSHELL_ALIASES = {
    "iex": "invoke-expression",
    "gc": "get-content",
    "sls": "select-string",
    "iwr": "invoke-webrequest",
    "irm": "invoke-restmethod",
    "ri": "remove-item",
    "saps": "start-process",
    "start-process": "start-process",
}
# Directories whose programs are system commands, not scripts worth reading.
SYSTEM_DIRS = (
    "/bin/",
    "/sbin/",
    "/usr/bin/",
    "/usr/sbin/",
    "/usr/local/bin/",
    "/usr/local/sbin/",
    "/opt/homebrew/bin/",
    "/usr/libexec/",
    "/run/current-system/sw/bin/",
)
WINDOWS_PROGRAMS = word_set(
    "rd del erase copy xcopy robocopy move format attrib icacls takeown taskkill schtasks reg type "
    "cipher cmd powershell pwsh"
)


def raw_value(word: Word) -> str:
    """The word as written minus surrounding quotes: Windows paths keep their backslashes."""
    raw = word.raw
    if len(raw) >= 2 and raw[0] == raw[-1] and raw[0] in "\"'":
        return raw[1:-1]
    return raw


def program_name(word: Word) -> str:
    value = word.value
    if "\\" in word.raw and _WINDOWS_PATH.search(word.raw):
        value = raw_value(word)
    if "/" in value or "\\" in value:
        stripped = value.rstrip("/\\")
        value = _SEPARATORS.split(stripped)[-1] if stripped else value
    name = _SUFFIX.sub("", fold(value).lower())
    return POWERSHELL_ALIASES.get(name, name)


def is_windows(name: str, words: list[Word]) -> bool:
    """Programs whose arguments keep backslashes: cmd.exe builtins and PowerShell cmdlets.

    ``rmdir`` exists on both sides; it counts as Windows when written with ``/s``-style
    switches.
    """
    if name in WINDOWS_PROGRAMS or is_cmdlet(name):
        return True
    if name == "rmdir":
        return any(_SLASH_SWITCH.fullmatch(word.value) for word in words)
    return False


_VERBS = word_set(
    "add clear copy disable enable export format get import invoke move new out remove rename "
    "restart set start stop test write"
)


def is_cmdlet(name: str) -> bool:
    """A PowerShell ``Verb-Noun`` cmdlet (lowercased)."""
    verb, _, noun = name.partition("-")
    return verb in _VERBS and noun.isalpha()


def script_word(word: Word) -> bool:
    """A program named by a path outside the system directories: a script to inspect."""
    value = word.value
    return "/" in value and not value.startswith(SYSTEM_DIRS) and word.literal and not word.glob
