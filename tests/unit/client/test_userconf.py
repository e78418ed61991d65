"""The shim's tomllib-free reader agrees with tomllib on every file it answers for."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from vectimus.client import userconf

WANTED = userconf.WANTED


def with_tomllib(text: str) -> dict[tuple[str, ...], object]:
    document = tomllib.loads(text)
    found: dict[tuple[str, ...], object] = {}
    for key in WANTED:
        node: object = document
        for part in key:
            node = node.get(part) if isinstance(node, dict) else None
        if isinstance(node, str | bool):
            found[key] = node
    return found


FILES = {
    "plain": '[server]\nurl = "https://gw.example.com:8420"\n',
    "comments": '# team\n[server] # the gateway\nurl = "http://10.0.0.5:8420" # here\n',
    "literal": "[server]\nurl = 'https://gw/prefix'\n",
    "dotted": 'server.url = "https://a"\nhook.explicit_allow = true\n',
    "spaced header": '[ server ]\n url  =  "https://b" \n',
    "other tables": (
        'observe = false\n[rules]\ndisabled = [\n  "a",\n  "b]",\n]\n[server]\nport = 8420\n'
        'url = "https://c"\n[[server.api_keys]]\nname = "ci"\nkey = "k"\n[identity]\n'
        'principal = "alice@example.com"\n[hook]\nexplicit_allow = false\n'
    ),
    "subtable only": '[server.tls]\nurl = "not-this"\n',
    "array of tables": '[[server]]\nurl = "not-this"\n',
    "inline table": 'server = { url = "https://inline" }\n',
    "escaped": '[server]\nurl = "https://gw\\u002fx"\n',
    "multiline string": 'note = """\n[server]\nurl = "https://evil"\n"""\n',
    "quoted key": '[server]\n"url" = "https://quoted"\n',
    "quoted header": '["server"]\nurl = "https://quoted"\n',
    "nested arrays": 'x = [[1, 2], [3]]\n[server]\nurl = "https://d"\n',
    "url not a string": "[server]\nurl = 5\n",
    "empty": "",
    "no server": '[rules]\nenforcement = { "vectimus-base-001" = "deny" }\n',
}


@pytest.mark.parametrize("name", FILES)
def test_agrees_with_tomllib(name: str, tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text(FILES[name])
    assert userconf.read(str(path)) == with_tomllib(FILES[name])


@pytest.mark.parametrize("name", ["plain", "comments", "dotted", "other tables", "no server"])
def test_plain_forms_need_no_tomllib(name: str) -> None:
    assert userconf.scan(FILES[name], WANTED) == with_tomllib(FILES[name])


def test_missing_or_broken_file(tmp_path: Path) -> None:
    assert userconf.read(str(tmp_path / "absent.toml")) == {}
    broken = tmp_path / "broken.toml"
    broken.write_text('[server\nurl = "x"\n')
    assert userconf.read(str(broken)) == {}
