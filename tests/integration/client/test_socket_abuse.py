"""An agent talking to the daemon socket itself cannot disable a rule, reload or stop it.

Two layers, both tested:

1. The daemon refuses every admin request without the secret from ~/.vectimus/daemon-secret:
   the one-liners an agent would write (python, socat, node, nc -U) run here as real
   processes against a real daemon, and the rule stays enforced.
2. The same one-liners, and reading the secret, submitted as hook payloads are denied by the
   bundled self-protection policies (checked with `vectimus eval`).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.integration.client.conftest import RM_ROOT, VECTIMUS, run_hook
from vectimus.client import control, locations, wire

DISABLE = json.dumps({"rule": "test-no-rm-root", "seconds": 3600, "cwd": "/tmp"}).encode()
REQUESTS = {
    "disable without a secret": wire.pack(b"admin", b"", b"disable", DISABLE),
    "disable with a guessed secret": wire.pack(b"admin", b"0" * 64, b"disable", DISABLE),
    "stop without a secret": wire.pack(b"admin", b"", b"stop", b"{}"),
    "reload with a guessed secret": wire.pack(b"admin", b"secret", b"reload", b"{}"),
    "a bare disable verb": wire.pack(b"disable", b"test-no-rm-root"),
    "garbage": b"\x00\xffnot netstrings at all",
}


def _python(path: str, request: bytes) -> list[str]:
    code = (
        "import socket,sys;s=socket.socket(socket.AF_UNIX);s.connect(sys.argv[1]);"
        "s.sendall(bytes.fromhex(sys.argv[2]));s.shutdown(1);"
        "sys.stdout.buffer.write(s.recv(65536))"
    )
    return ["python3", "-c", code, path, request.hex()]


def _node(path: str, request: bytes) -> list[str]:
    code = (
        "const c=require('net').createConnection(process.argv[1],()=>c.end(Buffer.from("
        "process.argv[2],'hex')));c.on('data',d=>process.stdout.write(d))"
    )
    return ["node", "-e", code, path, request.hex()]


def _socat(path: str, _request: bytes) -> list[str]:
    return ["socat", "-t", "5", "-", f"UNIX-CONNECT:{path}"]


def _nc(path: str, _request: bytes) -> list[str]:
    return ["nc", "-N", "-U", path]


CLIENTS = {"python": _python, "node": _node, "socat": _socat, "nc": _nc}


def decision(result: Any) -> str:
    return str(json.loads(result.stdout)["hookSpecificOutput"]["permissionDecision"])


@pytest.mark.parametrize("client", list(CLIENTS))
@pytest.mark.parametrize("name", list(REQUESTS))
def test_one_liners_are_refused(
    daemon: dict[str, Any], single_rule: Path, client: str, name: str
) -> None:
    program = {"python": "python3"}.get(client, client)
    if shutil.which(program) is None:
        if os.environ.get("CI") == "true":
            pytest.fail(f"{program} is not installed; .ci/run installs it")
        pytest.skip(f"{program} is not installed")
    request = REQUESTS[name]
    argv = CLIENTS[client](locations.socket_path(), request)
    done = subprocess.run(argv, input=request, capture_output=True, timeout=30, check=False)
    assert b"disabled" not in done.stdout and b"stopping" not in done.stdout
    if done.stdout:
        fields = wire.unpack(done.stdout)
        assert fields[0] == b"refused", fields
    status = control.status()
    assert status is not None and status["pid"] == daemon["pid"], "the daemon still runs"
    assert status["temporary_disables"] == {}
    assert decision(run_hook("claude-code", RM_ROOT)) == "deny", "the rule is still enforced"


def test_the_real_secret_works(daemon: dict[str, Any], single_rule: Path) -> None:
    """The control path a user's CLI takes, to show the refusals above are about the secret."""
    done = control.disable_temporarily("test-no-rm-root", 60, cwd=Path("/tmp"))
    assert done["rule"] == "test-no-rm-root"
    assert run_hook("claude-code", RM_ROOT).stdout == b""


def test_a_secret_file_others_can_read_is_not_trusted(
    daemon: dict[str, Any], single_rule: Path, vectimus_home: Path
) -> None:
    secret = vectimus_home / "daemon-secret"
    secret.chmod(0o644)
    with pytest.raises(control.DaemonError, match="no daemon secret"):
        control.disable_temporarily("test-no-rm-root", 60, cwd=Path("/tmp"))


SOCKETS = ("/run/user/1000/vectimus.sock", "/tmp/vectimus-1000.sock")
AGENT_COMMANDS = [
    f"nc -U {SOCKETS[0]}",
    f"printf '5:admin,0:,7:disable,2:{{}},' | nc -U {SOCKETS[1]}",
    f"socat - UNIX-CONNECT:{SOCKETS[1]}",
    f"echo stop | socat -t 5 - UNIX-CONNECT:{SOCKETS[0]}",
    'python3 -c "import socket;s=socket.socket(socket.AF_UNIX);'
    f"s.connect('{SOCKETS[0]}');s.sendall(b'5:admin,0:,7:disable,2:{{}},')\"",
    f"node -e \"require('net').connect('{SOCKETS[1]}').end('5:admin,0:,4:stop,2:{{}},')\"",
    "cat ~/.vectimus/daemon-secret",
    "python3 -c \"print(open('/home/dev/.vectimus/daemon-secret').read())\"",
    "vectimus daemon disable vectimus-destructive-001 --for 30m",
    "vectimus rule disable vectimus-destructive-001 --for 30m",
    "vectimus daemon stop",
]


def test_the_one_liners_as_hook_payloads_are_denied_by_policy(tmp_path: Path) -> None:
    lines = [
        json.dumps({**RM_ROOT, "tool_input": {"command": command}}) for command in AGENT_COMMANDS
    ]
    lines.append(
        json.dumps(
            {
                **RM_ROOT,
                "tool_name": "Read",
                "tool_input": {"file_path": "/home/dev/.vectimus/daemon-secret"},
            }
        )
    )
    done = subprocess.run(
        [VECTIMUS, "eval", "--source", "claude-code"],
        input="\n".join(lines) + "\n",
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    results = [json.loads(line) for line in done.stdout.splitlines()]
    assert len(results) == len(lines), done.stderr
    for command, result in zip([*AGENT_COMMANDS, "Read daemon-secret"], results, strict=True):
        assert result["decision"] == "deny", (command, result)
        assert any(
            rule.startswith("vectimus-selfprotect-") for rule in result["matched_policy_ids"]
        )
