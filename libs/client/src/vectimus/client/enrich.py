"""Facts the shim adds to a payload before sending it to the gateway.

The gateway cannot read the developer's machine, so the shim tells it: the repository and
branch of the working directory, the host name, the principal, and the content of a script
the command runs (``bash deploy.sh``, ``python x.py``, ``./x``). They travel as a top-level
``"vectimus_enrichment"`` object of strings in the JSON body. The gateway evaluates them like
any other input: they can add facts that lead to a deny, never remove one.

Repository facts come from git, with a short timeout, and are cached per working directory
in the private runtime dir; the cache entry is checked against the repository's config file,
and the branch is read from ``HEAD`` on every call so a checkout is seen at once.
"""

from __future__ import annotations

import _socket
import os
import stat
import time

from vectimus.client import fastjson, locations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

ENRICHMENT_KEY = "vectimus_enrichment"
SCRIPT_CAP = 256 * 1024
GIT_TIMEOUT_S = 0.5
NEGATIVE_TTL_S = 60.0
_CACHE_VERSION = "v1"
_SEPARATORS = ("&&", "||", ";", "|", "&", "\n", "(", ")", "`", "$(")
_PREFIXES = frozenset({"sudo", "exec", "time", "nohup", "env", "command", "builtin", "nice"})
_SHELLS = frozenset({"bash", "sh", "zsh", "dash", "ksh", "fish"})
_INTERPRETERS = frozenset(
    {"node", "ruby", "perl", "php", "lua", "rscript", "tsx", "ts-node", "pwsh", "powershell"}
)
_INLINE_FLAGS = frozenset({"-c", "-e", "-m", "--eval", "-command", "-lc", "-ic", "-ec"})
_RUNNERS = frozenset({"deno", "bun"})


def enrichment(payload: Any, cwd: str, principal: str) -> dict[str, str]:
    facts = {"hostname": _socket.gethostname(), "principal": principal}
    repository, branch = git_facts(cwd)
    if repository:
        facts["repository"] = repository
    if branch:
        facts["branch"] = branch
    script = script_for(command_of(payload), cwd)
    if script is not None:
        path, content, truncated = script
        facts["script_path"] = path
        facts["script_content"] = content
        if truncated:
            facts["script_truncated"] = "true"
    return facts


def enriched_body(raw: bytes, payload: Any, facts: dict[str, str]) -> bytes:
    """``raw`` with the enrichment object added as its last top-level member.

    The payload's own bytes are kept as they are (only the closing brace moves), so the
    gateway sees exactly what the tool sent.
    """
    if not isinstance(payload, dict):
        return raw
    body = raw.rstrip()
    member = f'"{ENRICHMENT_KEY}": {fastjson.dumps(facts)}'.encode()
    return body[:-1] + (b", " if payload else b"") + member + b"}"


def principal_of(configured: str) -> str:
    explicit = os.environ.get("VECTIMUS_PRINCIPAL") or configured
    if explicit:
        return explicit
    for name in ("LOGNAME", "USER", "LNAME", "USERNAME"):
        value = os.environ.get(name)
        if value:
            return value
    try:
        import pwd

        return pwd.getpwuid(os.getuid()).pw_name
    except (ImportError, KeyError):
        return "unknown"


def call_cwd(payload: Any, default: str) -> str:
    """The working directory the tool reports for the call (``cwd`` or its first root)."""
    if isinstance(payload, dict):
        for key in ("cwd", "workspace_roots"):
            value = payload.get(key)
            value = value[0] if isinstance(value, list) and value else value
            if isinstance(value, str) and value.startswith("/"):
                return value
    return default


# --- the script a command runs -------------------------------------------------------------


def command_of(payload: Any) -> str | list[str] | None:
    """The shell command in a hook payload, in whichever place the tool puts it."""
    if not isinstance(payload, dict):
        return None
    for found in (payload.get("tool_input"), payload.get("toolArgs"), payload):
        container = found
        if isinstance(found, str):
            try:
                container = fastjson.loads(found)
            except ValueError:
                continue
        if not isinstance(container, dict):
            continue
        for key in ("command", "cmd", "commandLine"):
            value = container.get(key)
            if isinstance(value, str):
                return value
            if isinstance(value, list) and value and all(isinstance(v, str) for v in value):
                return value
    return None


def _segments(command: str) -> list[list[str]]:
    for separator in _SEPARATORS:
        command = command.replace(separator, "\n")
    return [line.split() for line in command.split("\n") if line.strip()]


def _strip_prefixes(words: list[str]) -> list[str]:
    index = 0
    while index < len(words):
        word = words[index]
        if "=" in word and not word.startswith(("-", "=")) and "/" not in word.split("=")[0]:
            index += 1  # VAR=value
        elif word in _PREFIXES or (index and word.startswith("-") and words[0] in _PREFIXES):
            index += 1
        else:
            break
    return words[index:]


def _script_word(words: list[str]) -> str | None:
    words = _strip_prefixes(words)
    if not words:
        return None
    program = os.path.basename(words[0]).lower()
    arguments = words[1:]
    if program in {"source", "."}:
        return arguments[0] if arguments else None
    if program in _RUNNERS and arguments[:1] == ["run"]:
        arguments = arguments[1:]
    interpreted = (
        program in _SHELLS
        or program in _INTERPRETERS
        or program in _RUNNERS
        or program.startswith("python")
    )
    if interpreted:
        for word in arguments:
            if word.lower() in _INLINE_FLAGS or word.startswith("-c"):
                return None
            if not word.startswith("-"):
                return word
        return None
    if "/" in words[0]:
        return words[0]
    return None


def _candidates(command: str | list[str] | None) -> list[str]:
    if command is None:
        return []
    if isinstance(command, list):
        found = _script_word(list(command))
        inline = len(command) >= 3 and command[-2] in {"-c", "-lc"}
        return [found] if found else (_candidates(command[-1]) if inline else [])
    words = (_script_word(segment) for segment in _segments(command))
    return [word for word in words if word]


def script_for(command: str | list[str] | None, cwd: str) -> tuple[str, str, bool] | None:
    """(path, content, truncated) of the first script ``command`` runs, if readable text."""
    for word in _candidates(command):
        path = word.strip("\"'")
        if path.startswith("~"):
            path = os.path.expanduser(path)
        path = os.path.normpath(os.path.join(cwd, path))
        data = _read_regular(path, SCRIPT_CAP + 1)
        if data is None:
            continue
        if b"\0" in data:
            continue  # a binary program, not a script
        truncated = len(data) > SCRIPT_CAP
        return path, data[:SCRIPT_CAP].decode("utf-8", "replace"), truncated
    return None


def _read_regular(path: str, limit: int) -> bytes | None:
    """Up to ``limit`` bytes of a regular file (never blocking on a FIFO or device)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError:
        return None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return None
        chunks, size = [], 0
        while size < limit:
            chunk = os.read(fd, limit - size)
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        return b"".join(chunks)
    except OSError:
        return None
    finally:
        os.close(fd)


# --- repository and branch -----------------------------------------------------------------


def _signature(path: str) -> str:
    try:
        info = os.stat(path)
    except OSError:
        return "-"
    return f"{info.st_ino}:{info.st_size}:{info.st_mtime_ns}:{info.st_ctime_ns}"


def _cache_file(cwd: str) -> str | None:
    directory = locations.runtime_dir()
    if directory is None:
        return None
    digest = 0xCBF29CE484222325
    for byte in cwd.encode("utf-8", "surrogateescape"):
        digest = ((digest ^ byte) * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return os.path.join(directory, f"git-{digest:016x}")


def _branch(git_dir: str) -> str:
    try:
        with open(os.path.join(git_dir, "HEAD"), encoding="utf-8") as handle:
            head = handle.read(4096).strip()
    except OSError:
        return ""
    return head[16:] if head.startswith("ref: refs/heads/") else ""


def git_facts(cwd: str) -> tuple[str, str]:
    """(repository, branch) of ``cwd``: the origin URL (else the top-level path) and branch."""
    if "\n" in cwd:
        return "", ""
    cache = _cache_file(cwd)
    record = _read_cache(cache, cwd) if cache else None
    if record is None:
        record = _probe(cwd)
        if cache:
            _write_cache(cache, record)
    _, _, git_dir, _, _, repository, _ = record
    return repository, _branch(git_dir) if git_dir else ""


def _read_cache(cache: str, cwd: str) -> list[str] | None:
    try:
        with open(cache, encoding="utf-8") as handle:
            record = handle.read().split("\n")
    except OSError:
        return None
    if len(record) != 7 or record[0] != _CACHE_VERSION or record[1] != cwd:
        return None
    git_dir, config, signature, created = record[2], record[3], record[4], record[6]
    if not git_dir:
        try:
            fresh = time.time() - float(created) < NEGATIVE_TTL_S
        except ValueError:
            return None
        return record if fresh else None
    return record if _signature(config) == signature else None


def _write_cache(cache: str, record: list[str]) -> None:
    temp = f"{cache}.{os.getpid()}"
    try:
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write("\n".join(record))
        os.replace(temp, cache)
    except OSError:
        return


def _git(cwd: str, *args: str) -> list[str] | None:
    import subprocess

    environ = {**os.environ, "GIT_OPTIONAL_LOCKS": "0", "GIT_TERMINAL_PROMPT": "0"}
    try:
        done = subprocess.run(
            ["git", "-C", cwd, *args],
            capture_output=True,
            timeout=GIT_TIMEOUT_S,
            env=environ,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    if done.returncode != 0:
        return None
    return done.stdout.decode("utf-8", "replace").splitlines()


def _probe(cwd: str) -> list[str]:
    now = str(time.time())
    found = _git(cwd, "rev-parse", "--absolute-git-dir", "--git-common-dir", "--show-toplevel")
    if not found or len(found) < 2:
        return [_CACHE_VERSION, cwd, "", "", "", "", now]
    git_dir, common = found[0], os.path.join(cwd, found[1])
    top = found[2] if len(found) > 2 else ""
    config = os.path.normpath(os.path.join(common, "config"))
    origin = _git(cwd, "config", "--get", "remote.origin.url")
    repository = origin[0].strip() if origin else top
    return [_CACHE_VERSION, cwd, git_dir, config, _signature(config), repository, now]
