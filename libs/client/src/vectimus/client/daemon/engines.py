"""Warm runtimes, one per snapshot key (project root and VECTIMUS_* environment).

A cached entry is used while every file its snapshot was built from is unchanged: before each
use its dependencies (config files, policy files and directories, the code that compiles
them) are stat-ed and compared by inode, size and ctime, the same check the snapshot cache
uses. No timer and no inotify: an edit is seen by the next call, and an idle daemon does
nothing. A project's temporary disables are part of the runtime: when one is added or
expires, the next call gets a runtime built without (or with) that rule.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import msgspec

from vectimus.client.daemon.disables import TemporaryDisables
from vectimus.core.paths import find_project_root
from vectimus.core.runtime import Runtime, resolve_snapshot, runtime_from
from vectimus.core.snapshot import Dependency, Snapshot, cache_key


def _current(dep: Dependency) -> bool:
    path, inode, size, ctime = dep
    try:
        info = os.stat(path)
    except OSError:
        return size == -1
    return (info.st_ino, info.st_size, info.st_ctime_ns) == (inode, size, ctime)


@dataclass
class _Entry:
    snapshot: Snapshot
    runtimes: dict[tuple[str, ...], Runtime] = field(default_factory=dict)

    def current(self) -> bool:
        return all(_current(dep) for dep in self.snapshot.deps)


class Engines:
    """Runtimes by snapshot key; thread-safe."""

    def __init__(self, disables: TemporaryDisables) -> None:
        self.disables = disables
        self._lock = threading.Lock()
        self._variants_lock = threading.Lock()
        self._entries: dict[str, _Entry] = {}
        self.builds = 0

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def snapshot_for(self, cwd: Path | None, environ: Mapping[str, str]) -> Snapshot:
        return self._entry(cwd, environ).snapshot

    def runtime_for(self, cwd: Path | None, environ: Mapping[str, str]) -> Runtime:
        entry = self._entry(cwd, environ)
        snapshot = entry.snapshot
        extra = self.disables.active(snapshot.project_root)
        with self._variants_lock:
            runtime = entry.runtimes.get(extra)
            if runtime is None:
                disabled = tuple(dict.fromkeys((*snapshot.disabled, *extra)))
                runtime = runtime_from(msgspec.structs.replace(snapshot, disabled=disabled))
                # Keep the plain runtime and the latest variant; older variants are dropped.
                entry.runtimes = {k: v for k, v in entry.runtimes.items() if not k}
                entry.runtimes[extra] = runtime
        return runtime

    def _entry(self, cwd: Path | None, environ: Mapping[str, str]) -> _Entry:
        root = find_project_root(cwd) if cwd is not None else None
        key = cache_key(root, environ)
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None and entry.current():
                return entry
            # Built under the lock: concurrent first calls for a project build once.
            entry = _Entry(resolve_snapshot(cwd, environ))
            self.builds += 1
            self._entries[key] = entry
            return entry

    def summary(self) -> list[dict[str, object]]:
        with self._lock:
            entries = list(self._entries.values())
        return [
            {
                "project": entry.snapshot.project_root,
                "rules": len(entry.snapshot.compiled.rules),
                "packs": dict(entry.snapshot.compiled.packs),
                "policy_set_hash": entry.snapshot.compiled.policy_set_hash,
                "policy_source": entry.snapshot.policy_source.describe(),
                "observe": entry.snapshot.observe,
            }
            for entry in entries
        ]
