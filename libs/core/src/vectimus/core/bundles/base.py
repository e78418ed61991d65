"""Which packs a policy set starts from: ``[policies] dir``, else the installed bundle, else
the packs shipped with Vectimus. ``[policies] extra_dirs`` add to whichever it is.

An installed bundle is verified on every load (a snapshot build), and the files compiled are
the very texts that were verified, not a second read of the disk.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from vectimus.core.bundles.install import InstalledBundle, load_installed, packs_dir, read_active
from vectimus.core.bundles.provenance import PolicySource
from vectimus.core.bundles.trust import trusted_keys
from vectimus.core.bundles.verify import policy_files
from vectimus.core.config import Settings
from vectimus.core.engine.compile import PolicyFile, load_policy_dirs
from vectimus.core.errors import PolicyLoadError


@dataclass(frozen=True)
class PolicyBase:
    directory: Path
    source: PolicySource
    record: InstalledBundle | None = None


def policy_base(settings: Settings, bundled: Callable[[], Path]) -> PolicyBase:
    """Where the base packs are; cheap (no file but ``active.json`` is read)."""
    configured = settings.policies.dir
    if configured is not None:
        return PolicyBase(configured, PolicySource(kind="directory", location=str(configured)))
    record = read_active()
    if record is not None:
        directory = packs_dir(record)
        return PolicyBase(directory, PolicySource(kind="bundle", location=str(directory)), record)
    if settings.policies.bundle_url:
        raise PolicyLoadError(
            "[policies] bundle_url is set, but no policy bundle has been installed yet",
            hint="run `vectimus policy update`; a server fetches the bundle when it starts",
        )
    shipped = bundled()
    return PolicyBase(shipped, PolicySource(kind="bundled", location=str(shipped)))


def base_files(settings: Settings, base: PolicyBase) -> tuple[list[PolicyFile], PolicySource]:
    """The base's policy files (disabled packs left out) and its provenance."""
    skip = set(settings.policies.disabled_packs)
    if base.record is None:
        return load_policy_dirs([base.directory], disabled_packs=skip), base.source
    loaded = load_installed(base.record, trusted_keys(settings.policies.trusted_keys))
    files = policy_files(loaded.bundle.files, lambda name: str(loaded.directory / name))
    return [f for f in files if f.pack not in skip], loaded.source
