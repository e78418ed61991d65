"""Find the shell commands in a file's content, so they can be evaluated like any command.

Only script-like content is inspected: a Markdown file that mentions ``rm -rf /`` is prose.
Script-like means a shell extension or shebang, or the command-bearing parts of files that
run commands for you: Makefile recipes, Dockerfile RUN lines, package.json scripts and CI
workflow ``run:`` steps.
"""

from __future__ import annotations

import json
import re
import shlex
from collections.abc import Callable, Iterator
from pathlib import PurePosixPath
from typing import Literal

import msgspec

Kind = Literal["shell", "make", "docker", "npm", "ci", "interpreter"]

_SHELL_EXTENSIONS = frozenset(
    {
        ".sh",
        ".bash",
        ".zsh",
        ".ksh",
        ".dash",
        ".fish",
        ".command",
        ".bats",
        ".ps1",
        ".psm1",
        ".bat",
        ".cmd",
    }
)
_INTERPRETER_EXTENSIONS = frozenset({".py", ".js", ".mjs", ".cjs", ".ts", ".rb", ".pl", ".php"})
_SHELL_INTERPRETERS = frozenset(
    {"sh", "bash", "zsh", "ksh", "dash", "fish", "ash", "pwsh", "busybox"}
)
_CI_NAMES = frozenset({".gitlab-ci.yml", "azure-pipelines.yml", "bitbucket-pipelines.yml"})
_RUN_KEY = re.compile(r"^(\s*)(?:-\s+)?(?:run|script|before_script|after_script|command):\s*(.*)$")
_LIST_ITEM = re.compile(r"^(\s*)-\s+(.*)$")
_QUOTED = re.compile(r"""(?:"((?:[^"\\]|\\.){2,400})"|'((?:[^'\\]|\\.){2,400})')""")


class ScriptLines(msgspec.Struct, frozen=True, kw_only=True):
    """The distinct command lines found, and whether the limit cut inspection short."""

    kind: str
    lines: tuple[str, ...]
    truncated: bool = False


def script_kind(path: str, content: str = "", *, executed: bool = False) -> Kind | None:
    """What kind of command-bearing file this is, or None for prose and data."""
    pure = PurePosixPath(path.replace("\\", "/"))
    name = pure.name
    lowered = name.lower()
    suffix = pure.suffix.lower()
    if lowered in {"makefile", "gnumakefile"} or suffix == ".mk":
        return "make"
    if (
        lowered in {"dockerfile", "containerfile"}
        or lowered.startswith("dockerfile.")
        or suffix == ".dockerfile"
    ):
        return "docker"
    if lowered == "package.json":
        return "npm"
    parts = pure.parts
    is_workflow = len(parts) >= 3 and parts[-3:-1] == (".github", "workflows")
    if (
        lowered in _CI_NAMES
        or (is_workflow and suffix in {".yml", ".yaml"})
        or path.endswith(".circleci/config.yml")
    ):
        return "ci"
    if suffix in _SHELL_EXTENSIONS:
        return "shell"
    shebang = _shebang_program(content)
    if shebang in _SHELL_INTERPRETERS:
        return "shell"
    if executed or shebang:
        # A script that is run is inspected whatever it is written in.
        return "shell" if not (suffix in _INTERPRETER_EXTENSIONS or shebang) else "interpreter"
    return None


def _shebang_program(content: str) -> str:
    if not content.startswith("#!"):
        return ""
    words = content[2 : content.find("\n") if "\n" in content else None].split()
    if not words:
        return ""
    program = words[0].rsplit("/", 1)[-1]
    if program == "env":
        args = [w for w in words[1:] if not w.startswith("-") and "=" not in w]
        program = args[0] if args else ""
    return re.sub(r"[\d.]+$", "", program)


def script_lines(
    path: str, content: str, *, max_lines: int, executed: bool = False
) -> ScriptLines | None:
    """The distinct command lines of ``content``, or None when it is not script-like."""
    kind = script_kind(path, content, executed=executed)
    if kind is None:
        return None
    extract = _EXTRACTORS[kind]
    seen: dict[str, None] = {}
    truncated = False
    for count, line in enumerate(extract(content)):
        if count >= max_lines:
            truncated = True
            break
        seen.setdefault(line, None)
    return ScriptLines(kind=kind, lines=tuple(seen), truncated=truncated)


def _joined(content: str) -> Iterator[str]:
    """Physical lines with backslash continuations joined by one space."""
    pieces: list[str] = []
    for raw in content.splitlines():
        if raw.endswith("\\") and not raw.endswith("\\\\"):
            pieces.append(raw[:-1].strip() if pieces else raw[:-1].rstrip())
            continue
        pieces.append(raw.strip() if pieces else raw)
        yield " ".join(p for p in pieces if p) if len(pieces) > 1 else pieces[0]
        pieces = []
    if pieces:
        yield " ".join(p for p in pieces if p)


def _logical_lines(content: str) -> Iterator[str]:
    """Joined lines, with comments and blank lines skipped."""
    for joined in _joined(content):
        line = joined.strip()
        if line and not line.startswith("#"):
            yield line


def _shell(content: str) -> Iterator[str]:
    yield from _logical_lines(content)


def _interpreter(content: str) -> Iterator[str]:
    # A Python or Node script is not shell, but the strings it hands to os.system or
    # subprocess are; each line is evaluated, and so is each quoted string in it.
    for line in _logical_lines(content):
        yield line
        for match in _QUOTED.finditer(line):
            yield match.group(1) or match.group(2)


def _make(content: str) -> Iterator[str]:
    for joined in _joined(content):
        if joined.startswith("\t"):
            line = joined.strip().lstrip("@-+").strip()
            if line and not line.startswith("#"):
                yield line


def _docker(content: str) -> Iterator[str]:
    for line in _logical_lines(content):
        keyword, _, rest = line.partition(" ")
        if keyword.upper() != "RUN":
            continue
        rest = re.sub(r"^(--\S+\s+)+", "", rest.strip())
        if rest.startswith("["):
            try:
                argv = json.loads(rest)
            except ValueError:
                yield rest
                continue
            if isinstance(argv, list):
                yield shlex.join(str(a) for a in argv)
        elif rest:
            yield rest


def _npm(content: str) -> Iterator[str]:
    try:
        data = json.loads(content)
    except ValueError:
        # Half-written JSON still gets looked at, as plain lines.
        yield from _logical_lines(content)
        return
    scripts = data.get("scripts") if isinstance(data, dict) else None
    if isinstance(scripts, dict):
        yield from (str(v) for v in scripts.values() if isinstance(v, str) and v.strip())


def _ci(content: str) -> Iterator[str]:
    lines = content.splitlines()
    i = 0
    while i < len(lines):
        match = _RUN_KEY.match(lines[i])
        i += 1
        if not match:
            continue
        indent, value = len(match.group(1)), match.group(2).strip()
        if value and value[0] not in "|>":
            yield _unquote(value)
            continue
        block, i = _block(lines, i, indent)
        yield from _logical_lines("\n".join(block))


def _block(lines: list[str], start: int, indent: int) -> tuple[list[str], int]:
    """The lines of a YAML block scalar or list under a key at ``indent``."""
    block: list[str] = []
    i = start
    while i < len(lines):
        line = lines[i]
        stripped = line.strip()
        if stripped and len(line) - len(line.lstrip()) <= indent and not _LIST_ITEM.match(line):
            break
        if stripped and len(line) - len(line.lstrip()) <= indent:
            break
        item = _LIST_ITEM.match(line)
        block.append(_unquote(item.group(2)) if item else line)
        i += 1
    return block, i


def _unquote(value: str) -> str:
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
        return value[1:-1]
    return value


_EXTRACTORS: dict[str, Callable[[str], Iterator[str]]] = {
    "shell": _shell,
    "interpreter": _interpreter,
    "make": _make,
    "docker": _docker,
    "npm": _npm,
    "ci": _ci,
}
