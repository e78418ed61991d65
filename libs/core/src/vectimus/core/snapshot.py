"""A cached, fully resolved runtime: what a short-lived hook process needs, as one record.

Loading config (pydantic) and compiling policies (parse, validate, index) costs far more
than evaluating, and a hook process is born for one call. So the resolved result is cached
under ~/.vectimus/cache, keyed by the project and the VECTIMUS_* environment, and used only
while every file it was built from is unchanged. Files are compared by inode, size and
ctime (which, unlike mtime, no user can set back), so an edit always invalidates.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import msgspec

from vectimus.core.bundles.provenance import PolicySource
from vectimus.core.engine.compiled import CompiledPolicies
from vectimus.core.engine.rules import Enforcement
from vectimus.core.events import Identity
from vectimus.core.paths import ensure_private_dir, vectimus_home

# 2: the installed bundle's record (active.json) became a dependency, with policy_source.
SNAPSHOT_VERSION = 2
_IDENTITY_ENV = ("USER", "LOGNAME", "HOME")

Dependency = tuple[str, int, int, int]


class Snapshot(msgspec.Struct, frozen=True, kw_only=True):
    version: int = SNAPSHOT_VERSION
    deps: tuple[Dependency, ...]
    compiled: CompiledPolicies
    policy_source: PolicySource = msgspec.field(default_factory=PolicySource)
    enforcement: dict[str, Enforcement]
    disabled: tuple[str, ...]
    observe: bool
    max_lines: int
    excessive_turns_threshold: int
    mcp_allowed: tuple[str, ...]
    identity: Identity
    explicit_allow: bool
    refused: tuple[str, ...]
    project_root: str
    receipts_enabled: bool
    receipts_retention_days: int
    # The [audit] section as validated; the recorder re-validates it off the hot path.
    audit: dict[str, Any]
    session_spawn_limit: int = 10
    session_message_limit: int = 50
    session_ttl_s: int = 3600


def dependency(path: Path) -> Dependency:
    try:
        info = path.stat()
    except OSError:
        return (str(path), 0, -1, 0)
    return (str(path), info.st_ino, info.st_size, info.st_ctime_ns)


def dependencies(paths: Iterable[Path]) -> tuple[Dependency, ...]:
    return tuple(dependency(p) for p in dict.fromkeys(paths))


def cache_key(project_root: Path | None, environ: Mapping[str, str]) -> str:
    relevant = sorted(
        (k, v) for k, v in environ.items() if k.startswith("VECTIMUS_") or k in _IDENTITY_ENV
    )
    digest = hashlib.sha256(str(project_root).encode())
    for name, value in relevant:
        digest.update(f"\0{name}={value}".encode())
    return digest.hexdigest()[:32]


def _cache_file(key: str) -> Path:
    return vectimus_home() / "cache" / f"snapshot-{key}.json"


_decoder = msgspec.json.Decoder(Snapshot)


def load_snapshot(key: str) -> Snapshot | None:
    """The cached snapshot for ``key`` if it exists and is still current, else None."""
    try:
        snapshot = _decoder.decode(_cache_file(key).read_bytes())
    except (OSError, msgspec.DecodeError, msgspec.ValidationError):
        return None
    if snapshot.version != SNAPSHOT_VERSION or is_stale(snapshot):
        return None
    return snapshot


def is_stale(snapshot: Snapshot) -> bool:
    """Whether a file (or directory) the snapshot was built from has changed since."""
    return any(dependency(Path(dep[0])) != tuple(dep) for dep in snapshot.deps)


def save_snapshot(key: str, snapshot: Snapshot) -> None:
    """Write atomically; a failure to cache is not an error, only a slower next call."""
    target = _cache_file(key)
    try:
        ensure_private_dir(target.parent)
        temp = target.with_name(f".{target.name}.{os.getpid()}")
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(msgspec.json.encode(snapshot))
        temp.replace(target)
    except OSError:
        return
