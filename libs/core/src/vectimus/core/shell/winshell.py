"""cmd.exe and PowerShell given code on their command line (``/c``, ``-Command``, ``-enc``).

The code is handed back as Windows source: tokenized with backslashes kept, since they are
path separators there. ``-EncodedCommand`` is decoded (base64 of UTF-16LE) and marks the
call dynamic, because encoding a command line is how payloads hide from filters.
"""

from __future__ import annotations

import base64
import binascii

from vectimus.core.shell.call import Call
from vectimus.core.shell.names import raw_value
from vectimus.core.shell.options import Parsed, word_set
from vectimus.core.shell.pathnorm import canonical_path

_PS_ALIASES = {
    "-c": "-command",
    "-e": "-encodedcommand",
    "-ec": "-encodedcommand",
    "-enc": "-encodedcommand",
    "-f": "-file",
    "-ep": "-executionpolicy",
    "-ex": "-executionpolicy",
    "-exec": "-executionpolicy",
    "-nop": "-noprofile",
    "-noni": "-noninteractive",
    "-w": "-windowstyle",
}
_PS_PARAMS = [
    "-command",
    "-encodedcommand",
    "-file",
    "-executionpolicy",
    "-noprofile",
    "-noninteractive",
    "-windowstyle",
    "-nologo",
    "-noexit",
    "-inputformat",
    "-outputformat",
    "-workingdirectory",
    "-configurationname",
    "-version",
]
_PS_VALUES = word_set(
    "-executionpolicy -windowstyle -inputformat -outputformat -workingdirectory "
    "-configurationname -version"
)
_CMD_RUN = word_set("/c /k /r")


def run_windows_shell(call: Call) -> Parsed:
    if call.program == "cmd":
        return _cmd(call)
    return _powershell(call)


def _powershell(call: Call) -> Parsed:
    parsed = Parsed()
    record = call.record
    raw = [raw_value(word) for word in call.words]
    index, count = 0, len(raw)
    while index < count:
        value = raw[index]
        if not value.startswith(("-", "/")):
            if call.program == "pwsh" and value.lower().endswith(".ps1"):
                record.script_path = canonical_path(value, record.scope.home)
            else:
                _code(call, " ".join(raw[index:]))
            break
        name = _param("-" + value[1:].lower())
        parsed.flags.add(name)
        parsed.canonical.append(name)
        index += 1
        if name == "-command":
            code = " ".join(raw[index:])
            if code.strip() == "-":
                record.stdin_code = True
            else:
                _code(call, code)
            break
        if index >= count:
            break
        if name == "-encodedcommand":
            record.dynamic = True
            _code(call, _decode_utf16(raw[index]))
            break
        if name == "-file":
            record.script_path = canonical_path(raw[index], record.scope.home)
            parsed.args.extend(raw[index:])
            break
        if name in _PS_VALUES:
            parsed.values.append((name, raw[index]))
            parsed.args.append(raw[index])
            index += 1
    return parsed


def _param(name: str) -> str:
    """PowerShell accepts unambiguous prefixes of parameter names, and some aliases."""
    name = _PS_ALIASES.get(name, name)
    matches = [full for full in _PS_PARAMS if full.startswith(name)]
    return matches[0] if len(matches) == 1 else name


def _code(call: Call, code: str) -> None:
    code = code.strip()
    if len(code) >= 2 and code[0] == "{" and code[-1] == "}":
        code = code[1:-1]
    call.record.inline_code = code
    call.nest(code, windows=True)


def _decode_utf16(text: str) -> str:
    try:
        data = base64.b64decode(text + "=" * (-len(text) % 4), validate=False)
    except (binascii.Error, ValueError):
        return ""
    return data.decode("utf-16-le", "replace")


def _cmd(call: Call) -> Parsed:
    parsed = Parsed()
    raw = [raw_value(word) for word in call.words]
    for index, value in enumerate(raw):
        lowered = value.lower()
        if not lowered.startswith("/"):
            parsed.args.extend(raw[index:])
            break
        parsed.flags.add(lowered)
        parsed.canonical.append(lowered)
        if lowered in _CMD_RUN:
            code = " ".join(raw[index + 1 :])
            call.record.inline_code = code
            call.nest(code, windows=True)
            break
    return parsed
