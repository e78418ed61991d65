"""What the management commands (rule, pack, mcp) share: loading, the user config, messages."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from vectimus.core.catalog import Catalog
    from vectimus.core.config.edit import Document


def fail(command: str, message: str, status: int = 1) -> int:
    print(f"vectimus {command}: {message}", file=sys.stderr)
    return status


def catalog(command: str) -> Catalog | int:
    """The rules and packs as configured, or an exit status after saying what went wrong."""
    from vectimus.core.catalog import load_catalog
    from vectimus.core.errors import VectimusError

    try:
        return load_catalog(Path.cwd())
    except VectimusError as exc:
        return fail(command, f"cannot load the configuration or policies: {exc}", 2)


def edit_user_config(command: str, change: Callable[[Document], bool]) -> tuple[Path, bool] | int:
    """Apply ``change`` to the user-level config and save it if it changed anything."""
    from vectimus.core.config import edit
    from vectimus.core.errors import VectimusError
    from vectimus.core.paths import user_config_file

    path = user_config_file()
    try:
        document = edit.load(path)
        changed = change(document)
        if changed:
            edit.save(path, document)
    except VectimusError as exc:
        return fail(command, str(exc), 2)
    if changed:
        from vectimus.client import reload_daemon

        reload_daemon()
    return path, changed
