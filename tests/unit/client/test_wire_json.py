"""The shim's own wire format and JSON: netstrings, and _json driven without `json`."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from vectimus.client import fastjson, wire

JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda children: st.lists(children) | st.dictionaries(st.text(), children),
    max_leaves=20,
)


class TestWire:
    @given(st.lists(st.binary(max_size=200), max_size=8))
    def test_round_trip(self, fields: list[bytes]) -> None:
        assert wire.unpack(wire.pack(*fields)) == fields

    @pytest.mark.parametrize(
        "data", [b"3:ab,", b"x:abc,", b"3:abc", b"3:abcd", b"99999999999999999999999:"]
    )
    def test_malformed(self, data: bytes) -> None:
        with pytest.raises(wire.WireError):
            wire.unpack(data)

    def test_environ(self) -> None:
        env = {b"VECTIMUS_HOME": b"/h", b"USER": b"al=ice"}
        assert wire.unpack_environ(wire.pack_environ(env)) == {
            "VECTIMUS_HOME": "/h",
            "USER": "al=ice",
        }
        assert wire.unpack_environ(b"") == {}


class TestFastJson:
    @given(JSON_VALUES)
    def test_dumps_is_json_dumps(self, value: object) -> None:
        assert fastjson.dumps(value) == json.dumps(value)

    @given(JSON_VALUES)
    def test_loads_is_json_loads(self, value: object) -> None:
        text = json.dumps(value, indent=1)
        assert fastjson.loads(text) == json.loads(text)
        assert fastjson.loads(text.encode()) == json.loads(text)

    @pytest.mark.parametrize("text", ["", " ", "{", "{} {}", "[1,]", "nul", '{"a": 1} x'])
    def test_loads_refuses(self, text: str) -> None:
        with pytest.raises(ValueError):
            fastjson.loads(text)

    def test_non_ascii_escaped_like_json(self) -> None:
        answer = {"reason": "rm -rf ~ — blocked ✓ \u2028"}
        assert fastjson.dumps(answer) == json.dumps(answer)
