"""The gateway's own copy of the policies: for degraded evaluation, /policies and /ready.

A first load that fails leaves the gateway up but not ready (/ready answers 503 with the
error); a reload that fails keeps the set in force (/health says degraded, and why). The
files are checked again every few seconds by :class:`vectimus.core.bundles.follow.Follower`,
so fixing a policy file, adding one, or installing a bundle takes effect without a restart.
A new runtime replaces the old by one assignment, read once per request. The pipeline never
reads files named by a remote payload: script content reaches a server only as client
enrichment.
"""

from __future__ import annotations

import os
import time
from collections.abc import Mapping
from dataclasses import dataclass

import structlog

from vectimus.core.events import Action, Event, Identity, Source
from vectimus.core.pipeline import expand
from vectimus.core.runtime import Runtime, server_environment, server_runtime
from vectimus.core.snapshot import is_stale
from vectimus.gateway.settings import ServerSettings

log = structlog.get_logger("vectimus.gateway.policies")

_CANARY = Event(
    source=Source(tool="vectimus-canary"),
    identity=Identity(principal="vectimus-canary"),
    action=Action(action_type="shell_command", raw_tool_name="Bash", command="ls"),
)


def policy_environment(settings: ServerSettings, environ: Mapping[str, str]) -> dict[str, str]:
    """The environment the core config loader sees: the server's policy dir and observe win."""
    return server_environment(environ, policy_dir=settings.policy_dir, observe=settings.observe)


def load_runtime(environ: Mapping[str, str]) -> Runtime:
    """The policies, loaded exactly as an evaluator loads them (so the hashes agree)."""
    return server_runtime(environ)


@dataclass
class PolicyState:
    """The current runtime (None while no policy set has loaded) and the last load error."""

    environ: dict[str, str]
    runtime: Runtime | None = None
    error: str = "policies not loaded yet"
    loaded_at: float = 0.0

    @classmethod
    def for_settings(
        cls, settings: ServerSettings, environ: Mapping[str, str] | None = None
    ) -> PolicyState:
        return cls(environ=policy_environment(settings, os.environ if environ is None else environ))

    @property
    def rule_count(self) -> int:
        return len(self.runtime.pipeline.engine.rules) if self.runtime else 0

    @property
    def policy_set_hash(self) -> str:
        return self.runtime.snapshot.compiled.policy_set_hash if self.runtime else ""

    def load(self) -> bool:
        """Load (or reload) the policies; True when a new policy set is in force."""
        current = self.runtime
        if current is not None and not self.error and not is_stale(current.snapshot):
            return False  # a stat per file, not a rebuild of the engine, every interval
        try:
            runtime = load_runtime(self.environ)
        except Exception as exc:  # noqa: BLE001 - any load failure is reported, never fatal
            message = f"{type(exc).__name__}: {exc}"
            if message != self.error:
                log.error("policies failed to load", error=message)
            self.error = message
            return False
        self.error = ""
        if current is not None and current.snapshot.deps == runtime.snapshot.deps:
            return False
        self.runtime = runtime
        self.loaded_at = time.time()
        log.info(
            "policies loaded",
            rules=self.rule_count,
            policy_set_hash=self.policy_set_hash,
            packs=runtime.snapshot.compiled.packs,
        )
        return True

    def canary(self) -> str:
        """Run one real evaluation; an empty string when it worked, else what went wrong."""
        runtime = self.runtime
        if runtime is None:
            return self.error or "no policies loaded"
        if self.rule_count == 0:
            return "the policy set has no rules"
        pipeline = runtime.pipeline
        try:
            expansion = expand(_CANARY, pipeline.limits, None)
            verdict = pipeline.engine.evaluate(_CANARY.identity, expansion.requests)
        except Exception as exc:  # noqa: BLE001 - a crashing canary is the answer
            return f"canary evaluation crashed: {type(exc).__name__}: {exc}"
        return f"canary evaluation failed: {verdict.error}" if verdict.error else ""
