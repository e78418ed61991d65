"""What a simple command does to files, and which action type that makes it.

Infrastructure, package and git programs keep their class whatever they redirect to (their
redirect targets are still reported). Otherwise a command that writes anything is a
``file_write``, a reading program with file arguments is a ``file_read``, and the rest is a
``shell_command``.
"""

from __future__ import annotations

import posixpath
from collections.abc import Callable

from vectimus.core.events import ActionType
from vectimus.core.shell.model import Redirect
from vectimus.core.shell.options import Parsed, word_set
from vectimus.core.shell.pathnorm import canonical_path

PROGRAM_CLASS: dict[str, ActionType] = {
    **dict.fromkeys(
        word_set("terraform tofu kubectl helm docker podman aws gcloud az pulumi"),
        "infrastructure",
    ),
    **dict.fromkeys(
        word_set("npm npx pnpm yarn bun pip pip3 uv uvx pipx poetry cargo gem"),
        "package_operation",
    ),
    "git": "git_operation",
}
# Programs whose positional words are all files they read.
_READ_ALL = word_set(
    "cat head tail less more bat tac nl wc strings od hexdump base64 base32 md5sum sha1sum "
    "sha256sum sha512sum shasum cksum file diff cmp cut sort uniq xxd source . zcat bzcat "
    "xzcat gunzip type get-content select-string"
)
# Programs whose first positional word is a pattern or script, not a file.
_READ_AFTER_PATTERN = word_set("grep egrep fgrep zgrep rg ag ack awk gawk mawk nawk jq sed gsed")
_PATTERN_FROM = {
    "grep": ("-e", "-f"),
    "egrep": ("-e", "-f"),
    "fgrep": ("-e", "-f"),
    "zgrep": ("-e", "-f"),
    "rg": ("-e", "-f"),
    "ack": (),
    "ag": (),
    "awk": ("-f",),
    "gawk": ("-f",),
    "mawk": ("-f",),
    "nawk": ("-f",),
    "jq": ("-f", "--from-file"),
    "sed": ("-e", "-f"),
    "gsed": ("-e", "-f"),
}
READERS = _READ_ALL | _READ_AFTER_PATTERN
_QUIET_DEVICES = frozenset({"/dev/null", "/dev/stdout", "/dev/stderr", "/dev/tty", "-"})
_DUP_OPS = frozenset({">&", "<&"})
_WRITE_OPS = frozenset({">", ">>", ">|", "&>", "&>>", ">&", "<>"})


def redirect_paths(redirects: list[Redirect], home: str) -> tuple[list[str], list[str]]:
    """(read paths, write paths) named by redirections; fd duplication and /dev/null aside."""
    reads: list[str] = []
    writes: list[str] = []
    for redirect in redirects:
        if redirect.target is None:
            continue
        target = redirect.target.value
        if redirect.op in _DUP_OPS and (target.isdigit() or target in ("-", "")):
            continue
        path = canonical_path(target, home)
        if path in _QUIET_DEVICES or path.startswith(("/dev/fd/", "/proc/self/fd/")):
            continue
        if redirect.op in ("<", "<>"):
            reads.append(path)
        if redirect.op in _WRITE_OPS:
            writes.append(path)
    return reads, writes


def file_effects(program: str, parsed: Parsed, home: str) -> tuple[list[str], list[str]]:
    """(read paths, write paths) of ``program`` from its own arguments."""
    effects = _EFFECTS.get(program)
    if effects is None:
        if program in _READ_AFTER_PATTERN:
            effects = _pattern_reader
        elif program in _READ_ALL:
            effects = _reader
        else:
            return [], []
    reads: list[str] = []
    writes: list[str] = []
    positional = [p for p in parsed.positionals if p != "-"]
    effects(program, parsed, positional, reads, writes)
    return _canon(reads, home), _canon(writes, home)


def _writer(
    program: str, parsed: Parsed, positional: list[str], reads: list[str], writes: list[str]
) -> None:
    writes.extend(positional)


def _reader(
    program: str, parsed: Parsed, positional: list[str], reads: list[str], writes: list[str]
) -> None:
    if program in ("uniq", "xxd") and len(positional) > 1:
        # ``uniq IN OUT`` and ``xxd IN OUT`` write their second operand.
        reads.append(positional[0])
        writes.append(positional[1])
    else:
        reads.extend(positional)
    if program == "sort":
        writes.extend(parsed.value_of("-o"))


def _cmdlet_reader(
    program: str, parsed: Parsed, positional: list[str], reads: list[str], writes: list[str]
) -> None:
    reads.extend(positional)
    reads.extend(parsed.value_of("-path", "-literalpath"))


def _cmdlet_writer(
    program: str, parsed: Parsed, positional: list[str], reads: list[str], writes: list[str]
) -> None:
    """Set-Content, Add-Content, Out-File, New-Item: the path is -Path or the first word."""
    named = parsed.value_of("-path", "-literalpath", "-filepath")
    writes.extend(named or positional[:1])


def _cmdlet_copy(
    program: str, parsed: Parsed, positional: list[str], reads: list[str], writes: list[str]
) -> None:
    """Copy-Item and Move-Item: -Path (or the first word) to -Destination (or the second)."""
    sources = parsed.value_of("-path", "-literalpath") or positional[:1]
    rest = positional[1:] if not parsed.value_of("-path", "-literalpath") else positional
    reads.extend(sources)
    writes.extend(parsed.value_of("-destination") or rest[:1])


def _dd(
    program: str, parsed: Parsed, positional: list[str], reads: list[str], writes: list[str]
) -> None:
    for operand in positional:
        key, _, value = operand.partition("=")
        if key == "if":
            reads.append(value)
        elif key == "of":
            writes.append(value)


def _canon(paths: list[str], home: str) -> list[str]:
    # ``cat <(cmd)`` reads a pipe, not a file; the command is analysed on its own.
    return [
        canonical_path(path, home)
        for path in paths
        if path and path != "-" and not path.startswith(("<(", ">("))
    ]


def _copy(
    program: str, parsed: Parsed, positional: list[str], reads: list[str], writes: list[str]
) -> None:
    targets = parsed.value_of("-t")
    if program == "install" and parsed.has("-d"):
        writes.extend(positional)
        return
    if targets:
        writes.extend(targets)
        reads.extend(positional)
        return
    if len(positional) >= 2:
        sources, destination = positional[:-1], positional[-1]
    else:
        sources, destination = positional, ""
    if program == "scp":
        sources = [s for s in sources if not _remote(s)]
        destination = "" if _remote(destination) else destination
    reads.extend(sources)
    if destination:
        writes.append(destination)


def _remote(path: str) -> bool:
    head, colon, _ = path.partition(":")
    return bool(colon) and "/" not in head


def _link(
    program: str, parsed: Parsed, positional: list[str], reads: list[str], writes: list[str]
) -> None:
    directory = parsed.value_of("-t")
    if directory:
        reads.extend(positional)
        writes.extend(directory)
    elif len(positional) >= 2:
        reads.extend(positional[:-1])
        writes.append(positional[-1])
    elif positional:
        reads.append(positional[0])
        writes.append(posixpath.basename(positional[0].rstrip("/")) or positional[0])


def _tar(
    program: str, parsed: Parsed, positional: list[str], reads: list[str], writes: list[str]
) -> None:
    archives = parsed.value_of("-f")
    if parsed.has("-c", "-r", "-u"):
        writes.extend(archives)
        reads.extend(positional)
    else:
        reads.extend(archives)
        if parsed.has("-x"):
            writes.extend(parsed.value_of("-C"))
    reads.extend(parsed.value_of("-T", "-X"))


def _transfer(
    program: str, parsed: Parsed, positional: list[str], reads: list[str], writes: list[str]
) -> None:
    if program == "wget":
        writes.extend(parsed.value_of("-O", "-o", "-a"))
        reads.extend(parsed.value_of("--post-file", "--body-file", "-i"))
        return
    writes.extend(parsed.value_of("-o", "-c", "-D"))
    reads.extend(parsed.value_of("-K"))
    for value in parsed.value_of("-d"):
        if value.startswith("@"):
            reads.append(value[1:])
    for value in parsed.value_of("-F"):
        _, eq, content = value.partition("=")
        if eq and content[:1] in ("@", "<"):
            reads.append(content[1:].split(";", 1)[0])
    reads.extend(parsed.value_of("-T"))


def _pattern_reader(
    program: str, parsed: Parsed, positional: list[str], reads: list[str], writes: list[str]
) -> None:
    given = _PATTERN_FROM.get(program, ())
    files = positional if parsed.has(*given) and given else positional[1:]
    if program in ("awk", "gawk", "mawk", "nawk"):
        files = [f for f in files if "=" not in f]
        reads.extend(parsed.value_of("-f"))
    elif program in ("grep", "egrep", "fgrep", "zgrep", "rg", "jq"):
        reads.extend(parsed.value_of("-f", "--from-file"))
    if program in ("sed", "gsed"):
        reads.extend(parsed.value_of("-f"))
        if parsed.has("-i"):
            if positional[:1] == [""]:
                files = positional[2:] if not parsed.has("-e", "-f") else positional[1:]
            writes.extend(files)
    reads.extend(files)


Effects = Callable[[str, Parsed, list[str], list[str], list[str]], None]
_EFFECTS: dict[str, Effects] = {
    **dict.fromkeys(("cp", "mv", "install", "rsync", "scp"), _copy),
    **dict.fromkeys(("tee", "truncate", "touch", "shred"), _writer),
    "dd": _dd,
    "get-content": _cmdlet_reader,
    **dict.fromkeys(("set-content", "add-content", "out-file", "new-item"), _cmdlet_writer),
    **dict.fromkeys(("copy-item", "move-item"), _cmdlet_copy),
    "select-string": _cmdlet_reader,
    "ln": _link,
    "tar": _tar,
    "curl": _transfer,
    "wget": _transfer,
}


def action_type(program: str, reads: list[str], writes: list[str]) -> ActionType:
    cls = PROGRAM_CLASS.get(program)
    if cls is not None:
        return cls
    if writes:
        return "file_write"
    if reads and program in READERS:
        return "file_read"
    return "shell_command"
