"""Where Vectimus keeps its files. One place, so tests can point everything elsewhere.

``VECTIMUS_HOME`` moves the user-level directory (default ``~/.vectimus``); tests and
containers set it. A project's own state lives in ``<project>/.vectimus``.
"""

from __future__ import annotations

import os
from pathlib import Path


def vectimus_home() -> Path:
    """The user-level directory: config, signing key, audit logs."""
    override = os.environ.get("VECTIMUS_HOME")
    return Path(override) if override else Path.home() / ".vectimus"


def user_config_file() -> Path:
    return vectimus_home() / "config.toml"


def project_dir(project_root: Path) -> Path:
    return project_root / ".vectimus"


def ensure_private_dir(path: Path) -> Path:
    """Create ``path`` (and parents) with mode 0700, tightening it if it already exists."""
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    if path.stat().st_mode & 0o077:
        path.chmod(0o700)
    return path


def find_project_root(start: Path) -> Path | None:
    """The nearest ancestor of ``start`` holding .vectimus/ or .git, if any."""
    try:
        start = start.resolve()
    except (OSError, RuntimeError):
        return None
    for candidate in (start, *start.parents):
        if (candidate / ".vectimus").is_dir() or (candidate / ".git").exists():
            return candidate
    return None
