"""Interpreters given code on the command line: ``python -c``, ``node -e``, ``perl -e``...

Reading the interpreter's options finds the code (or the script, or stdin). The code itself
is scanned conservatively: string literals that look like paths become read paths, those
passed to writing calls become write paths, and literal shell commands handed to
``os.system``/``execSync``/``system`` are returned so they are analysed as commands too.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache

from vectimus.core.shell.options import Parsed, word_set
from vectimus.core.shell.sinks import scan_sinks

_PYTHON = re.compile(r"(?:python|pypy)(?:\d+(?:\.\d+)*)?[tw]?")
_KINDS = {
    "node": "node",
    "nodejs": "node",
    "bun": "",
    "ruby": "ruby",
    "perl": "perl",
    "php": "php",
    "deno": "deno",
    "osascript": "osascript",
    "lua": "lua",
    "luajit": "lua",
}
# Letters that take a value, per interpreter; for perl and ruby a value may be attached.
_VALUE_LETTERS = {
    "python": "WXQ",
    "node": "rC",
    "ruby": "rICEFx",
    "perl": "MmIlFxCdD0",
    "php": "dcz",
    "osascript": "ls",
}
_CODE_LETTERS = {"python": "c", "node": "ep", "ruby": "e", "perl": "eE", "php": "rRBE", "lua": "e"}
_NODE_CODE = frozenset({"--eval", "--print"})
_NODE_VALUE = frozenset(
    {"--require", "--input-type", "--loader", "--import", "--experimental-loader", "--env-file"}
)

_LITERAL = r"""(?:'(?:[^'\\\n]|\\.){0,4096}'|"(?:[^"\\\n]|\\.){0,4096}")"""
# A quote without its partner runs to the end of its line and counts as a string: every
# character is read once. Requiring the partner made a long unclosed line quadratic, as
# the search restarted at each later quote and ran to the line's end again.
_STRING = re.compile(
    r"""'((?:[^'\\\n]|\\.)*)'?|"((?:[^"\\\n]|\\.)*)"?|`((?:[^`\\]|\\.)*)`?""", re.DOTALL
)
_CALL = re.compile(
    r"(?<!\w)(?P<fn>[A-Za-z_][\w.]{0,64})\s*\(\s*(?P<a>"
    + _LITERAL
    + r")(?:\s*,\s*(?P<b>"
    + _LITERAL
    + r"))?"
    r"(?P<rest>[^)\n]{0,80})"
)
_PATH_CALL = re.compile(
    r"Path\(\s*(?P<a>" + _LITERAL + r")\s*\)\s*\.\s*"
    r"(?:write_text|write_bytes|touch|unlink|rmdir|mkdir|open\(\s*['\"][wax])"
)
_PERL_OPEN = re.compile(
    r"\bopen\s*\(?\s*(?:my\s+)?[$\w]+\s*,\s*(?P<a>"
    + _LITERAL
    + r")(?:\s*,\s*(?P<b>"
    + _LITERAL
    + r"))?"
)
_SHELL_CALL = re.compile(
    r"(?:os\.system|os\.popen|subprocess\.\w+|execSync|execFileSync|spawnSync|exec|system|"
    r"shell_exec|passthru|popen|proc_open|IO\.popen|Open3\.\w+|os\.execute|io\.popen)"
    r"\s*\(?\s*(?P<a>" + _LITERAL + r"|\[[^\]]{0,2048}\])"
)
# The literals of a list argument, found the same linear way as _STRING.
_LIST_LITERAL = re.compile(r"""'(?:[^'\\\n]|\\.)*'?|"(?:[^"\\\n]|\\.)*"?""")
# A recursive delete of the home directory spelled as an expression, not a literal.
# The home directory spelled as an expression rather than a literal.
_HOME_EXPRESSION = (
    r"(?:os\.path\.expanduser\(\s*['\"]~/?['\"]\s*\)|(?:pathlib\.)?Path\.home\(\s*\)|"
    r"os\.environ\[\s*['\"]HOME['\"]\s*\]|os\.getenv\(\s*['\"]HOME['\"]\s*\)|"
    r"(?:os|require\(\s*['\"]os['\"]\s*\))\.homedir\(\s*\)|Dir\.home|"
    r"ENV\[\s*['\"]HOME['\"]\s*\]|process\.env\.HOME|\$ENV\{\s*HOME\s*\}|getenv\(\s*['\"]HOME['\"]\s*\))"
)
# A recursive delete of that directory.
_HOME_DELETE = re.compile(
    r"(?:rmtree|rmSync|rm_rf|rm_r|rmdirSync|removedirs|remove_dir_all)\s*\(\s*" + _HOME_EXPRESSION
)
# A path built from it: ``process.env.HOME + '/.bashrc'``, ``Path.home() / '.ssh'``,
# ``os.path.join(os.path.expanduser('~'), '.aws')``.
_HOME_JOIN = re.compile(
    _HOME_EXPRESSION
    + r"(?P<chain>(?:\s*\+\s*(?:'[^'\n]{1,256}'|\"[^\"\n]{1,256}\")){1,8}"
    + r"|(?:\s*/\s*(?:'[^'\n]{1,256}'|\"[^\"\n]{1,256}\")){1,8}"
    + r"|(?:\s*,\s*(?:'[^'\n]{1,256}'|\"[^\"\n]{1,256}\")){1,8})"
)
_CHAIN_PART = re.compile(r"['\"]([^'\"\n]{1,256})['\"]")
_MODE = re.compile(r"""mode\s*=\s*['"][^'"]*[wax+]""")
_WRITES_ANYTHING = re.compile(
    r"write|append|unlink|remove|rmtree|rmSync|rm_rf|truncate|file_put_contents|"
    r"open\([^)]{0,256}['\"][wax+]|rename|copy|symlink"
)
_ESCAPE = re.compile(r"\\(.)", re.DOTALL)
_SENSITIVE = (
    ".env",
    ".ssh",
    ".aws",
    "id_rsa",
    "id_ed25519",
    ".pem",
    ".netrc",
    ".npmrc",
    ".pypirc",
    ".git-credentials",
    ".kube",
    ".gnupg",
    ".docker",
)
_WRITERS = word_set(
    "writeFileSync appendFileSync writeFile appendFile createWriteStream file_put_contents "
    "File.write IO.write fs.writeFileSync fs.appendFileSync fs.writeFile fs.rmSync rmSync "
    "fs.unlinkSync unlinkSync fs.rmdirSync rmdirSync os.remove os.unlink shutil.rmtree "
    "os.rmdir os.removedirs os.truncate File.delete FileUtils.rm_rf FileUtils.rm "
    "FileUtils.rm_r unlink rmtree truncate"
)
# Call names judged by their last segment: ``require('fs').writeFileSync(...)``.
_WRITER_TAILS = word_set(
    "writeFileSync appendFileSync writeFile appendFile createWriteStream file_put_contents "
    "rmSync unlinkSync rmdirSync rmtree write_text write_bytes"
)
_COPIERS = word_set(
    "shutil.copy shutil.copy2 shutil.copyfile shutil.copytree shutil.move os.rename os.replace "
    "fs.copyFileSync fs.renameSync copyFileSync renameSync FileUtils.cp FileUtils.mv copy "
    "rename symlink os.symlink"
)
_OPENERS = frozenset({"open", "fopen", "io.open", "codecs.open", "File.open", "os.open"})


@dataclass(slots=True)
class Interpreted:
    """How an interpreter was asked to run: code, a script, or stdin."""

    parsed: Parsed
    code: str | None = None
    script: str | None = None
    module: str | None = None
    inplace: bool = False


@dataclass(slots=True)
class CodeFacts:
    reads: list[str] = field(default_factory=list)
    writes: list[str] = field(default_factory=list)
    commands: list[str] = field(default_factory=list)
    # The code runs a command line or code it computes (``os.system(decoded)``).
    dynamic: bool = False


@cache
def interpreter_kind(program: str) -> str:
    """ "python", "node", ... or "" if ``program`` is not an interpreter we read."""
    if _PYTHON.fullmatch(program):
        return "python"
    return _KINDS.get(program, "")


def read_interpreter(kind: str, values: list[str]) -> Interpreted:
    if kind == "deno":
        return _deno(values)
    reader = _Reader(kind, values, Interpreted(Parsed()))
    count = len(values)
    while reader.index < count:
        word = values[reader.index]
        reader.index += 1
        if word in ("-", "--") or not word.startswith("-"):
            reader.operand(word)
            break
        stop = reader.long(word) if word.startswith("--") else reader.cluster(word)
        if stop or (reader.codes and kind in ("python", "node")):
            # python -c/-m and node -e end the interpreter's options.
            break
    out = reader.out
    tail = values[reader.index :]
    out.parsed.args.extend(tail)
    out.parsed.positionals.extend(tail)
    if reader.codes:
        out.code = "\n".join(reader.codes)
    return out


@dataclass(slots=True)
class _Reader:
    kind: str
    values: list[str]
    out: Interpreted
    codes: list[str] = field(default_factory=list)
    index: int = 0

    def take(self, attached: str | None) -> str:
        """An option's value: attached to it, or else the next word."""
        if attached:
            return attached
        if self.index < len(self.values):
            self.index += 1
            return self.values[self.index - 1]
        return ""

    def operand(self, word: str) -> None:
        if word == "--":
            if self.index >= len(self.values):
                return
            word = self.take(None)
        if not self.codes:
            # With -e code given, later words are the code's arguments or input files.
            self.out.script = word
        self.out.parsed.args.append(word)
        self.out.parsed.positionals.append(word)

    def long(self, word: str) -> bool:
        name, eq, attached = word.partition("=")
        _flag(self.out.parsed, name)
        if self.kind != "node" or (name not in _NODE_CODE and name not in _NODE_VALUE):
            return False
        value = attached if eq else self.take(None)
        if name in _NODE_CODE:
            self.codes.append(value)
            return True
        _value(self.out.parsed, name, value)
        return False

    def cluster(self, word: str) -> bool:
        parsed = self.out.parsed
        for position in range(1, len(word)):
            letter = word[position]
            name = "-" + letter
            rest = word[position + 1 :]
            _flag(parsed, name)
            if letter in _CODE_LETTERS.get(self.kind, ""):
                self.codes.append(self.take(rest))
                return False
            if letter == "m" and self.kind == "python":
                self.out.module = self.take(rest)
                _value(parsed, name, self.out.module)
                return True
            if letter in _VALUE_LETTERS.get(self.kind, ""):
                _value(parsed, name, self.take(rest))
                return False
            if letter == "i" and self.kind in ("perl", "ruby"):
                self.out.inplace = True
                return False
        return False


def _deno(values: list[str]) -> Interpreted:
    parsed = Parsed()
    out = Interpreted(parsed)
    positional = [value for value in values if not value.startswith("-")]
    parsed.flags.update(value for value in values if value.startswith("-"))
    parsed.canonical.extend(value for value in values if value.startswith("-"))
    if positional[:1] == ["eval"] and len(positional) > 1:
        out.code = positional[1]
        parsed.args.append("eval")
        parsed.positionals.append("eval")
    elif positional[:1] == ["run"] and len(positional) > 1:
        out.script = positional[1]
        parsed.args.extend(positional[:2])
        parsed.positionals.extend(positional[:2])
    else:
        parsed.args.extend(positional)
        parsed.positionals.extend(positional)
    return out


def _flag(parsed: Parsed, name: str) -> None:
    parsed.flags.add(name)
    parsed.canonical.append(name)


def _value(parsed: Parsed, name: str, value: str) -> None:
    parsed.values.append((name, value))
    parsed.args.append(value)


def scan_code(code: str, kind: str) -> CodeFacts:
    """Paths and shell commands named by string literals in ``code``."""
    facts = CodeFacts()
    for match in _STRING.finditer(code):
        backtick = match.group(3)
        if backtick is not None and kind in ("ruby", "perl", "php"):
            facts.commands.append(_ESCAPE.sub(r"\1", backtick))
            continue
        body = match.group(1) if match.group(1) is not None else match.group(2)
        text = _ESCAPE.sub(r"\1", body if body is not None else backtick or "")
        if looks_like_code_path(text):
            facts.reads.append(text)
    joined = [
        "~/" + "/".join(p.strip("/") for p in _CHAIN_PART.findall(m.group("chain")))
        for m in _HOME_JOIN.finditer(code)
    ]
    facts.reads.extend(joined)
    facts.writes.extend(sorted(_written(code)))
    if joined and _WRITES_ANYTHING.search(code):
        # The path is computed, so which call it reaches is not known: a file built on the
        # home directory by code that writes is taken as written.
        facts.writes.extend(path for path in joined if path not in facts.writes)
    facts.commands.extend(_shell_strings(code))
    sinks = scan_sinks(code)
    facts.commands.extend(c for c in sinks.commands if c not in facts.commands)
    facts.dynamic = sinks.dynamic
    return facts


def _written(code: str) -> set[str]:
    written = {_unquote(match.group("a")) for match in _PATH_CALL.finditer(code)}
    if _HOME_DELETE.search(code):
        written.add("~")
    for match in _CALL.finditer(code):
        fn = match.group("fn")
        tail = fn.rsplit(".", 1)[-1]
        first = _unquote(match.group("a"))
        second = _unquote(match.group("b")) if match.group("b") else None
        if fn in _WRITERS or tail in _WRITER_TAILS:
            written.add(first)
        elif (fn in _COPIERS or tail in ("copyFileSync", "renameSync")) and second:
            written.add(second)
        elif fn in _OPENERS or fn.endswith(".open"):
            mode = second or ""
            if any(char in mode for char in "wax+") or _MODE.search(match.group("rest")):
                written.add(first)
    for match in _PERL_OPEN.finditer(code):
        first = _unquote(match.group("a")).strip()
        if not first.startswith((">", "+>", "+<")):
            continue
        target = first.lstrip("+<>").strip()
        if not target and match.group("b"):
            target = _unquote(match.group("b"))
        if target:
            written.add(target)
    return written


def _shell_strings(code: str) -> list[str]:
    """Literal command lines passed to os.system, subprocess, execSync, system()..."""
    commands: list[str] = []
    for match in _SHELL_CALL.finditer(code):
        argument = match.group("a")
        if argument.startswith("["):
            parts = [_unquote(part) for part in _LIST_LITERAL.findall(argument)]
            if parts:
                commands.append(" ".join(parts))
        else:
            commands.append(_unquote(argument))
    return commands


def looks_like_code_path(text: str) -> bool:
    if not text or "\n" in text or "://" in text or len(text) > 1024:
        return False
    if text[0] in "/~" or text.startswith(("./", "../")):
        return " " not in text or text[0] == "/"
    return any(marker in text for marker in _SENSITIVE) and " " not in text


def _unquote(literal: str) -> str:
    return _ESCAPE.sub(r"\1", literal[1:-1])
