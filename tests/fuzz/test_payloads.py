"""Raw hook payloads, as bytes on stdin, through the hook's own decision function.

Whatever arrives (not JSON, invalid UTF-8, NUL bytes, nesting thousands deep, megabytes of
text, any JSON value in any field), the answer is a decision, never an exception, and a
payload that cannot be read is denied. The shared pipeline turns a crash in analysis into a
deny; these tests also fail when that happens, because such a deny hides a bug.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import msgspec
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.fuzz.hostile import FUZZ, hostile_text
from tests.fuzz.scaling import assert_linear
from vectimus.cli.answer import Outcome, decide
from vectimus.core.events import SOURCES
from vectimus.core.runtime import Runtime, build_runtime

CRASHED = "could not be analysed"


@pytest.fixture(scope="module")
def runtime(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Runtime]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("VECTIMUS_HOME", str(tmp_path_factory.mktemp("home")))
        yield build_runtime(None)


def _decide(runtime: Runtime, source: str, raw: bytes) -> Outcome:
    outcome = decide(source, raw, cwd=Path("/"), runtime_for=lambda _: runtime)
    assert outcome.decision.decision in ("allow", "deny", "escalate")
    assert CRASHED not in outcome.decision.reason, outcome.decision.reason
    return outcome


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | hostile_text,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(hostile_text, inner, max_size=4),
    max_leaves=20,
)
_TOOLS = ["Bash", "Write", "Read", "WebFetch", "mcp__filesystem__read_file", "run_shell_command",
          "run_in_terminal", "shell", "apply_patch", "Task", "Frobnicate", "powershell"]  # fmt: skip
_payloads = st.fixed_dictionaries(
    {"tool_name": st.sampled_from(_TOOLS), "cwd": st.sampled_from(["/home/dev/shop", "", "/"])},
    optional={
        "tool_input": st.fixed_dictionaries(
            {},
            optional={
                "command": hostile_text | _json,
                "file_path": hostile_text,
                "content": hostile_text,
                "url": hostile_text,
                "path": hostile_text,
                "cmd": st.lists(hostile_text, max_size=4),
            },
        ),
        "toolName": st.sampled_from(_TOOLS),
        "toolArgs": hostile_text,
        "hook_event_name": st.sampled_from(["PreToolUse", "beforeShellExecution", "BeforeTool"]),
        "command": hostile_text,
    },
)


@FUZZ
@given(st.sampled_from(SOURCES), st.binary(max_size=600))
def test_any_bytes(runtime: Runtime, source: str, raw: bytes) -> None:
    outcome = _decide(runtime, source, raw)
    try:
        msgspec.json.decode(raw)
    except msgspec.DecodeError:
        assert outcome.decision.decision == "deny"


@FUZZ
@given(st.sampled_from(SOURCES), _payloads)
def test_payload_shaped_json(runtime: Runtime, source: str, payload: dict[str, Any]) -> None:
    _decide(runtime, source, json.dumps(payload).encode())


@pytest.mark.parametrize("source", SOURCES)
@pytest.mark.parametrize(
    "raw",
    [
        b'{"tool_name": "Bash", "tool_input": {"command": "rm -rf \xff\xfe /"}}',
        b'{"tool_name": "Bash", "tool_input": {"command": "rm\x00 -rf /"}}',
        b'{"tool_name": "Bash\x00", "tool_input": {"command": "ls"}}',
        b"\xef\xbb\xbf" + b'{"tool_name": "Bash", "tool_input": {"command": "ls"}}',
        b'{"tool_name": "Bash", "tool_input": {"command": "\\ud800 rm -rf /"}}',
        b"[" * 100_000 + b"]" * 100_000,
        b'{"a":' * 100_000 + b"1" + b"}" * 100_000,
        b'{"tool_name": "Bash", "tool_input": ' + b"[" * 50_000,
    ],
    ids=[
        "invalid-utf8",
        "raw-nul",
        "nul-in-name",
        "bom",
        "lone-surrogate",
        "deep-list",
        "deep-object",
        "unclosed-deep",
    ],
)
def test_hostile_bytes_are_decided(runtime: Runtime, source: str, raw: bytes) -> None:
    outcome = _decide(runtime, source, raw)
    if b"rm" in raw and b"tool_name" in raw:
        assert outcome.decision.decision != "allow"


def _bash(command: str) -> bytes:
    return json.dumps(
        {"cwd": "/home/dev/shop", "tool_name": "Bash", "tool_input": {"command": command}}
    ).encode()


# name -> n -> raw payload; each is decided at n and 8n.
FAMILIES: dict[str, Callable[[int], bytes]] = {
    "long command": lambda n: _bash("echo " + "a" * (100 * n)),
    "many commands": lambda n: _bash("echo a; " * n),
    "many distinct commands": lambda n: _bash("".join(f"echo a{i}; " for i in range(n))),
    "deep JSON": lambda n: b'{"tool_name": "Bash", "tool_input": ' + b"[" * n + b"]" * n + b"}",
    "many keys": lambda n: json.dumps(
        {"tool_name": "Frobnicate", "tool_input": {f"k{i}": f"v {i}" for i in range(n)}}
    ).encode(),
    "script content": lambda n: json.dumps(
        {"tool_name": "Write", "tool_input": {"file_path": "/x/run.sh", "content": "ls\n" * n}}
    ).encode(),
    "patch files": lambda n: json.dumps(
        {
            "tool_name": "apply_patch",
            "tool_input": {"input": "".join(f"*** Add File: f{i}\n+x\n" for i in range(n))},
        }
    ).encode(),
}


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_decisions_cost_linear_time(runtime: Runtime, family: str) -> None:
    make = FAMILIES[family]
    assert_linear(lambda raw: _decide(runtime, "claude-code", raw), make, 250, label=family)


def test_too_many_commands_escalate_instead_of_stalling(runtime: Runtime) -> None:
    line = "".join(f"echo a{i}; " for i in range(3000))
    outcome = _decide(runtime, "claude-code", _bash(line))
    assert outcome.decision.decision == "escalate"
    assert "not inspected" in outcome.decision.reason
