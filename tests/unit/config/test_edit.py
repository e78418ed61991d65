"""Editing the user config: pure document changes that keep comments, and a validated save."""

from __future__ import annotations

from pathlib import Path

import pytest
import tomlkit

from vectimus.core.config import edit
from vectimus.core.errors import ConfigError

USER = """# my settings
observe = false  # keep blocking

[rules]
# rules I do not want
disabled = ["vectimus-git-001"]  # too noisy

[mcp]
allowed_servers = [
    "github",  # work
]
"""


def doc(text: str = USER) -> edit.Document:
    return tomlkit.parse(text)


def test_add_and_remove_keep_comments() -> None:
    document = doc()
    assert edit.add_to_list(document, "rules", "disabled", "vectimus-infra-002")
    assert not edit.add_to_list(document, "rules", "disabled", "vectimus-infra-002")
    assert edit.remove_from_list(document, "rules", "disabled", "vectimus-git-001")
    assert not edit.remove_from_list(document, "rules", "disabled", "vectimus-git-001")
    text = tomlkit.dumps(document)
    assert "# my settings" in text and "# keep blocking" in text and "# rules I do not want" in text
    assert edit.strings(document, "rules", "disabled") == ["vectimus-infra-002"]
    assert edit.add_to_list(document, "mcp", "allowed_servers", "linear")
    assert "# work" in tomlkit.dumps(document)
    assert edit.strings(document, "mcp", "allowed_servers") == ["github", "linear"]


def test_missing_sections_are_made() -> None:
    document = doc("")
    assert not edit.remove_from_list(document, "policies", "disabled_packs", "x")
    assert edit.add_to_list(document, "policies", "disabled_packs", "mcp-safety")
    assert edit.set_enforcement(document, "vectimus-infra-007", "deny")
    assert not edit.set_enforcement(document, "vectimus-infra-007", "deny")
    assert edit.enforcement(document) == {"vectimus-infra-007": "deny"}
    assert edit.clear_enforcement(document, "vectimus-infra-007")
    assert not edit.clear_enforcement(document, "vectimus-infra-007")
    assert tomlkit.parse(tomlkit.dumps(document))["policies"]["disabled_packs"] == ["mcp-safety"]


def test_inline_tables_are_edited_in_place() -> None:
    document = doc('rules = { disabled = ["a"] }\n')
    assert edit.add_to_list(document, "rules", "disabled", "b")
    assert tomlkit.dumps(document) == 'rules = { disabled = ["a", "b"] }\n'


def test_wrong_shapes_are_config_errors() -> None:
    with pytest.raises(ConfigError, match=r"rules\.disabled is not a list"):
        edit.add_to_list(doc('[rules]\ndisabled = "x"\n'), "rules", "disabled", "y")
    with pytest.raises(ConfigError, match="rules is not a table"):
        edit.set_enforcement(doc("rules = 3\n"), "x", "deny")


def test_save_validates_and_writes_privately(tmp_path: Path) -> None:
    path = tmp_path / "home" / "config.toml"
    document = edit.load(path)
    edit.add_to_list(document, "mcp", "allowed_servers", "github")
    edit.save(path, document)
    assert path.stat().st_mode & 0o777 == 0o600
    assert edit.strings(edit.load(path), "mcp", "allowed_servers") == ["github"]
    edit.set_enforcement(document, "x", "loud")
    with pytest.raises(ConfigError, match=r"rules\.enforcement\.x"):
        edit.save(path, document)
    assert "loud" not in path.read_text()


def test_unreadable_toml_is_named(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text("[rules\n")
    with pytest.raises(ConfigError, match="invalid TOML"):
        edit.load(path)
