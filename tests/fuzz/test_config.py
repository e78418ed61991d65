"""The config loader on hostile files: a ConfigError naming the file, or settings; never
another exception.

Config files are written by people, and a project's file by anyone who can commit to the
repository (an agent included). Random bytes, invalid UTF-8, TOML of the wrong shape, values
of every type at every known key, deep nesting and megabyte strings are all tried, in the
user's file and in a project's, and through VECTIMUS_* variables.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.fuzz.hostile import FUZZ, hostile_text
from tests.fuzz.scaling import assert_linear
from vectimus.core.config import load_config
from vectimus.core.errors import ConfigError

# The sections and keys people write, so generated files reach past the first check.
SECTIONS = {
    "rules": ["disabled", "enforcement"],
    "policies": ["disabled_packs", "extra_dirs"],
    "mcp": ["allowed_servers"],
    "limits": ["max_lines", "excessive_turns_threshold"],
    "hook": ["explicit_allow"],
    "identity": ["principal", "persona", "groups"],
    "trust": ["projects"],
    "observe": ["enabled"],
    "receipts": ["enabled"],
    "audit": ["enabled", "dir"],
    "server": ["host", "port", "api_keys"],
}
_scalars = (
    st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**63 - 1)
    | st.floats(allow_nan=False)
    | hostile_text
)
_values = st.recursive(
    _scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(hostile_text, inner, max_size=4),
    max_leaves=12,
)


def _toml_char(char: str) -> str:
    if char in '"\\':
        return "\\" + char
    if "\ud800" <= char <= "\udfff":
        return "\ufffd"  # TOML strings hold Unicode scalar values only
    if ord(char) < 0x20 or ord(char) == 0x7F:
        return f"\\u{ord(char):04x}"
    return char


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return '"' + "".join(_toml_char(char) for char in value) + '"'
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    items = ", ".join(f"{_toml_value(str(k))} = {_toml_value(v)}" for k, v in value.items())
    return "{" + items + "}"


@st.composite
def config_text(draw: st.DrawFn) -> str:
    lines: list[str] = []
    for section in draw(st.lists(st.sampled_from(sorted(SECTIONS)), max_size=4, unique=True)):
        lines.append(f"[{section}]")
        keys = draw(st.lists(st.sampled_from(SECTIONS[section]), max_size=3, unique=True))
        lines.extend(f"{key} = {_toml_value(draw(_values))}" for key in keys)
    return "\n".join(lines) + "\n"


def _load(home: Path, project: Path, *, user: bytes, project_file: bytes | None) -> None:
    (home / "config.toml").write_bytes(user)
    if project_file is not None:
        (project / ".vectimus").mkdir(exist_ok=True)
        (project / ".vectimus" / "config.toml").write_bytes(project_file)
    try:
        load_config(project)
    except ConfigError as exc:
        assert str(exc)


@pytest.fixture
def dirs(vectimus_home: Path, tmp_path: Path) -> tuple[Path, Path]:
    project = tmp_path / "project"
    (project / ".git").mkdir(parents=True)
    return vectimus_home, project


@FUZZ
@given(st.binary(max_size=400))
def test_any_bytes_as_the_user_file(dirs: tuple[Path, Path], raw: bytes) -> None:
    _load(*dirs, user=raw, project_file=None)


@FUZZ
@given(config_text(), config_text())
def test_known_keys_with_any_values(dirs: tuple[Path, Path], user: str, project: str) -> None:
    tomllib.loads(user)  # the generator itself writes valid TOML
    _load(*dirs, user=user.encode(), project_file=project.encode())


@FUZZ
@given(hostile_text, hostile_text, hostile_text)
def test_any_environment_values(
    dirs: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch, a: str, b: str, c: str
) -> None:
    for name, value in (("VECTIMUS_OBSERVE", a), ("VECTIMUS_MCP_ALLOWED", b),
                        ("VECTIMUS_CONTENT_MAX_LINES", c)):  # fmt: skip
        monkeypatch.setenv(name, value.replace("\x00", "").encode("utf-8", "replace").decode())
    _load(*dirs, user=b"", project_file=None)


@pytest.mark.parametrize(
    "raw",
    [
        b"\xff\xfe\x00[rules]",
        b"[rules]\ndisabled = [" + b"[" * 5000 + b"]" * 5000 + b"]\n",
        b"a = " + b"{b = " * 2000 + b"1" + b"}" * 2000 + b"\n",
        b'[identity]\nprincipal = "' + b"x" * 2_000_000 + b'"\n',
        b"[limits]\nmax_lines = 99999999999999999999999999999\n",
        b"[mcp]\nallowed_servers = " + b'"x", ' * 0 + b"[" + b'"s", ' * 100_000 + b"]\n",
        b"[rules.enforcement]\n" + b'"a" = "deny"\n' * 1,
        b'[trust]\nprojects = ["\x00"]\n',
    ],
    ids=[
        "bom-and-nul",
        "deep-arrays",
        "deep-inline-tables",
        "huge-string",
        "huge-int",
        "many-items",
        "unknown-rule",
        "nul-path",
    ],
)
def test_hostile_files(dirs: tuple[Path, Path], raw: bytes) -> None:
    _load(*dirs, user=raw, project_file=None)
    _load(*dirs, user=b"", project_file=raw)


def test_loading_is_linear(dirs: tuple[Path, Path]) -> None:
    home, project = dirs

    def make(n: int) -> bytes:
        return b"[mcp]\nallowed_servers = [" + b'"server", ' * n + b"]\n"

    assert_linear(lambda raw: _load(home, project, user=raw, project_file=None), make, 2000)
