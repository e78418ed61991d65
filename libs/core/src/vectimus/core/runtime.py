"""The composition root of an evaluating process: a Snapshot in, a ready Pipeline out.

This module stays light (no pydantic, no policy compiler): on a warm cache the hook only
decodes the snapshot and builds one Cedar PolicySet per action type.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from vectimus.core.engine import Engine
from vectimus.core.events import Identity
from vectimus.core.paths import find_project_root
from vectimus.core.pipeline import Limits, Pipeline
from vectimus.core.receipts.ids import new_receipt_id
from vectimus.core.snapshot import Snapshot, cache_key, load_snapshot, save_snapshot


@dataclass(frozen=True)
class Runtime:
    snapshot: Snapshot
    pipeline: Pipeline

    @property
    def identity(self) -> Identity:
        return self.snapshot.identity


def resolve_snapshot(cwd: Path | None, environ: Mapping[str, str] | None = None) -> Snapshot:
    """The current snapshot for a call made in ``cwd``: cached, or built and cached."""
    environ = os.environ if environ is None else environ
    root = find_project_root(cwd) if cwd is not None else None
    key = cache_key(root, environ)
    snapshot = load_snapshot(key)
    if snapshot is None:
        from vectimus.core.assemble import build_snapshot  # noqa: PLC0415 - the slow path

        snapshot = build_snapshot(cwd, environ)
        save_snapshot(key, snapshot)
    return snapshot


def runtime_from(snapshot: Snapshot) -> Runtime:
    engine = Engine(
        snapshot.compiled,
        enforcement=snapshot.enforcement,
        disabled=snapshot.disabled,
        observe=snapshot.observe,
    )
    limits = Limits(
        max_lines=snapshot.max_lines,
        excessive_turns_threshold=snapshot.excessive_turns_threshold,
        mcp_allowed=frozenset(snapshot.mcp_allowed),
        home=str(Path.home()),
        session_spawn_limit=snapshot.session_spawn_limit,
        session_message_limit=snapshot.session_message_limit,
        session_ttl_s=snapshot.session_ttl_s,
    )
    return Runtime(snapshot=snapshot, pipeline=Pipeline(engine, limits, new_id=new_receipt_id))


def server_environment(
    environ: Mapping[str, str], *, policy_dir: Path | None, observe: bool
) -> dict[str, str]:
    """The environment the config loader sees in a server process (gateway or evaluator).

    The server's policy directory (made absolute, so the snapshot cache key and the pack
    names do not depend on the working directory or on how the path is spelled) and its
    observe flag win over the inherited variables. The gateway and the evaluator both use
    this, so for the same directory they load the same policy set, with the same hash."""
    env = dict(environ)
    if policy_dir is not None:
        env["VECTIMUS_POLICY_DIR"] = str(policy_dir.expanduser().resolve())
    if observe:
        env["VECTIMUS_OBSERVE"] = "true"
    return env


def server_runtime(environ: Mapping[str, str]) -> Runtime:
    """Config and policies for a server: user-level config and VECTIMUS_*, no project layer.

    A server never reads files a remote payload names (scripts arrive as enrichment).
    Raises VectimusError (PolicyLoadError, ConfigError) naming the file and problem."""
    runtime = runtime_from(resolve_snapshot(None, environ))
    runtime.pipeline.read_file = None
    return runtime


def build_runtime(cwd: Path | None, environ: Mapping[str, str] | None = None) -> Runtime:
    return runtime_from(resolve_snapshot(cwd, environ))
