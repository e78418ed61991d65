"""Set or remove one key of ``~/.vectimus/config.toml``, keeping the user's comments and layout.

Used by ``vectimus init --server-url``, ``vectimus remove --server-url`` and
``vectimus observe on|off``. Loading and saving are :mod:`vectimus.core.config.edit`'s (which
validates the whole document before it writes, so no command leaves a file behind that the
hook would refuse to load).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import tomlkit
from tomlkit.items import Table

from vectimus.core.config import edit
from vectimus.core.errors import ConfigError
from vectimus.core.paths import user_config_file


def get_value(*key: str, path: Path | None = None) -> Any:
    node: Any = edit.load(path or user_config_file()).unwrap()
    for part in key:
        node = node.get(part) if isinstance(node, dict) else None
    return node


def set_value(*key: str, value: Any, path: Path | None = None) -> Any:
    """Set ``key`` (section path then name) to ``value``; returns the previous value."""
    path = path or user_config_file()
    document = edit.load(path)
    table: Any = document
    for part in key[:-1]:
        if part not in table:
            table[part] = tomlkit.table()
        table = table[part]
        if not isinstance(table, Table | dict):
            raise ConfigError(f"{path}: {'.'.join(key[:-1])} is not a table")
    previous = table.get(key[-1])
    previous = previous.unwrap() if hasattr(previous, "unwrap") else previous
    if previous == value:
        return previous
    table[key[-1]] = value
    edit.save(path, document)
    return previous


def unset_value(*key: str, path: Path | None = None) -> bool:
    """Remove ``key`` (and a section it leaves empty); False when it was not there."""
    path = path or user_config_file()
    document = edit.load(path)
    tables: list[Any] = [document]
    for part in key[:-1]:
        nxt = tables[-1].get(part)
        if not isinstance(nxt, Table | dict):
            return False
        tables.append(nxt)
    if key[-1] not in tables[-1]:
        return False
    del tables[-1][key[-1]]
    for depth in range(len(key) - 1, 0, -1):
        if len(tables[depth]) == 0:
            del tables[depth - 1][key[depth - 1]]
    edit.save(path, document)
    return True
