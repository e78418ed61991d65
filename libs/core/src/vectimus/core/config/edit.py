"""Edit the user-level config as a tomlkit document, keeping the user's comments and layout.

The functions over a document are pure: each makes one change and says whether anything
changed, so a command can report "no change" honestly. Only :func:`save` touches the disk,
and it validates the whole document with the config model first, so an edit can never leave
behind a file the hook would refuse to load. Only the user-level file is ever written: a
project's config is read, never edited, which keeps "a project may only tighten" true.
"""

from __future__ import annotations

import os
from pathlib import Path

import tomlkit
from tomlkit.items import Array, InlineTable, Table

from vectimus.core.config.load import validate
from vectimus.core.errors import ConfigError
from vectimus.core.paths import ensure_private_dir

Document = tomlkit.TOMLDocument
_Container = Document | Table | InlineTable


def load(path: Path) -> Document:
    """The document at ``path``; an empty one when the file does not exist yet."""
    try:
        return tomlkit.parse(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return tomlkit.document()
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read: {exc}") from None
    except tomlkit.exceptions.TOMLKitError as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}") from None


def save(path: Path, document: Document) -> None:
    """Validate ``document`` and replace ``path`` with it atomically (mode 0600 when new)."""
    validate(document.unwrap(), str(path))
    ensure_private_dir(path.parent)
    temp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    mode = path.stat().st_mode & 0o777 if path.exists() else 0o600
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(tomlkit.dumps(document))
    temp.replace(path)


# --- reading -----------------------------------------------------------------------------------


def strings(document: Document, section: str, key: str) -> list[str]:
    """A list of strings such as ``rules.disabled``; [] when absent."""
    table = document.get(section)
    value = table.get(key) if isinstance(table, Table | InlineTable) else None
    return [str(item) for item in value] if isinstance(value, list) else []


def enforcement(document: Document) -> dict[str, str]:
    """The user's ``[rules.enforcement]`` overrides."""
    rules = document.get("rules")
    table = rules.get("enforcement") if isinstance(rules, Table | InlineTable) else None
    return (
        {str(k): str(v) for k, v in table.items()} if isinstance(table, Table | InlineTable) else {}
    )


# --- changing ----------------------------------------------------------------------------------


def add_to_list(document: Document, section: str, key: str, value: str) -> bool:
    """Add ``value`` to the list ``section.key`` (made if needed); False if already there."""
    array = _array(document, section, key, create=True)
    if array is None:  # pragma: no cover - create=True always makes one
        raise ConfigError(f"{section}.{key}: cannot create the list")
    if value in [str(item) for item in array]:
        return False
    array.append(value)
    return True


def remove_from_list(document: Document, section: str, key: str, value: str) -> bool:
    """Remove every ``value`` from the list ``section.key``; False if it was not there."""
    array = _array(document, section, key, create=False)
    if array is None:
        return False
    found = [index for index, item in enumerate(array) if str(item) == value]
    for index in reversed(found):
        del array[index]
    return bool(found)


def set_enforcement(document: Document, rule_id: str, level: str) -> bool:
    """Set ``[rules.enforcement] "rule_id" = level``; False if it already was."""
    table = _table(_table(document, "rules"), "enforcement")
    if table.get(rule_id) == level:
        return False
    table[rule_id] = level
    return True


def clear_enforcement(document: Document, rule_id: str) -> bool:
    """Remove the user's override for ``rule_id``; False if there was none."""
    rules = document.get("rules")
    table = rules.get("enforcement") if isinstance(rules, Table | InlineTable) else None
    if not isinstance(table, Table | InlineTable) or rule_id not in table:
        return False
    del table[rule_id]
    return True


def _table(parent: _Container, name: str) -> Table | InlineTable:
    found = parent.get(name)
    if found is None:
        parent[name] = tomlkit.table()
        found = parent[name]
    if not isinstance(found, Table | InlineTable):
        raise ConfigError(f"{name} is not a table in the user config")
    return found


def _array(document: Document, section: str, key: str, *, create: bool) -> Array | None:
    table = document.get(section)
    if table is None and not create:
        return None
    table = _table(document, section)
    found = table.get(key)
    if found is None:
        if not create:
            return None
        table[key] = tomlkit.array()
        found = table[key]
    if not isinstance(found, Array):
        raise ConfigError(f"{section}.{key} is not a list in the user config")
    if create and len(found) == 0:
        found.multiline(False)
    return found
