"""Issue 6 benchmarks: `vectimus hook` as a whole process, through the daemon and a gateway.

Targets (p50, whole process, ratio to a bare `python -c pass` measured in the same run):

- through the local daemon: <= 2 x
- through a running local gateway: <= 2 x

The gateway rows use a stdlib HTTP server answering a fixed decision (the shim's own cost,
without the server's), and the real gateway (granian, embedded mode) when it starts here.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

from harness import report, summary, time_process, verdict

BIN = Path(sys.executable).parent
PYTHON, VECTIMUS = str(BIN / "python"), str(BIN / "vectimus")
ROUNDS = 60
TARGET = 2.0
PAYLOADS = {
    "deny (rm -rf /)": {
        "session_id": "b",
        "cwd": "/tmp",
        "hook_event_name": "PreToolUse",
        "tool_name": "Bash",
        "tool_input": {"command": "git status && rm -rf /"},
    },
    "allow (git status)": {
        "session_id": "b",
        "cwd": "/tmp",
        "hook_event_name": "PreToolUse",
        "tool_name": "Bash",
        "tool_input": {"command": "git status"},
    },
}
STUB = """
import json, sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
BODY = json.dumps({"decision": "deny", "reason": "stub says no. Receipt: r-1",
                   "suggested_alternative": "", "matched_policy_ids": ["stub"],
                   "receipt_id": "r-1", "evaluation_time_ms": 0.0}).encode()
class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args): pass
    def do_GET(self):
        self.send_response(200); self.send_header("Content-Length", "2"); self.end_headers()
        self.wfile.write(b"{}")
    def do_POST(self):
        self.rfile.read(int(self.headers["Content-Length"]))
        self.send_response(200); self.send_header("Content-Length", str(len(BODY)))
        self.end_headers(); self.wfile.write(BODY)
ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Handler).serve_forever()
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_http(url: str, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=1) as answer:  # noqa: S310 - loopback
                return bool(answer.status == 200)
        except OSError:
            time.sleep(0.1)
    return False


@contextmanager
def process(argv: list[str], env: dict[str, str], url: str) -> Iterator[bool]:
    proc = subprocess.Popen(
        argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
    )
    try:
        yield wait_http(url, 60)
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(20)


Measure = tuple[str, list[str], bytes, dict[str, str]]


def interleaved(measures: list[Measure], rounds: int) -> dict[str, list[float]]:
    """Milliseconds per run of each measure, taking turns round by round.

    The machine is shared and its load drifts; taking turns exposes every measure (the
    baseline too) to the same drift, so the ratios hold even when the absolute times move.
    """
    samples: dict[str, list[float]] = {name: [] for name, *_ in measures}
    for _name, argv, stdin, env in measures:
        for _ in range(5):  # warm: caches, the daemon's engine, the gateway's first request
            subprocess.run(argv, input=stdin, capture_output=True, env=env, check=False)
    for _ in range(rounds):
        for name, argv, stdin, env in measures:
            samples[name] += time_process(argv, repeat=1, stdin=stdin, env=env)
    return samples


def row(name: str, samples: list[float], bare: float) -> dict[str, object]:
    stats = summary(samples)
    ratio = round(stats["p50_ms"] / bare, 2)
    return {
        "measure": name,
        **stats,
        "ratio": ratio,
        "target": f"<= {TARGET} x python -c pass",
        "verdict": verdict(ratio, TARGET),
    }


def main() -> None:
    rows: list[dict[str, object]] = []
    base_env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    home = tempfile.mkdtemp(prefix="vh")
    runtime = tempfile.mkdtemp(prefix="vx", dir="/tmp")
    env = {**base_env, "VECTIMUS_HOME": home, "XDG_RUNTIME_DIR": runtime, "VECTIMUS_DAEMON": "1"}
    env.pop("VECTIMUS_SERVER_URL", None)
    hook = [VECTIMUS, "hook", "--source", "claude-code"]
    deny = json.dumps(PAYLOADS["deny (rm -rf /)"]).encode()
    try:
        subprocess.run([VECTIMUS, "daemon", "start"], env=env, check=True, capture_output=True)
        measures: list[Measure] = [("python -c pass (baseline)", [PYTHON, "-c", "pass"], b"", env)]
        for label, payload in PAYLOADS.items():
            data = json.dumps(payload).encode()
            measures.append((f"vectimus hook via daemon, {label}", hook, data, env))
        with ExitStack() as stack:
            port = free_port()
            url = f"http://127.0.0.1:{port}"
            if stack.enter_context(process([PYTHON, "-c", STUB, str(port)], env, url + "/healthz")):
                stub_env = {**env, "VECTIMUS_SERVER_URL": url}
                measures.append(
                    ("vectimus hook via gateway (stdlib stub server)", hook, deny, stub_env)
                )
            granian = BIN / "granian"
            port = free_port()
            url = f"http://127.0.0.1:{port}"
            argv = [str(granian), "--interface", "asgi", "--factory", "--host", "127.0.0.1"]
            argv += ["--port", str(port), "vectimus.gateway.app:create_app"]
            if granian.exists() and stack.enter_context(process(argv, env, url + "/healthz")):
                real_env = {**env, "VECTIMUS_SERVER_URL": url}
                measures.append(
                    ("vectimus hook via gateway (real, granian embedded)", hook, deny, real_env)
                )
            else:
                rows.append({"measure": "real gateway (granian): did not start; not measured"})
            samples = interleaved(measures, ROUNDS)
        subprocess.run([VECTIMUS, "daemon", "stop"], env=env, check=False, capture_output=True)
    finally:
        shutil.rmtree(home, ignore_errors=True)
        shutil.rmtree(runtime, ignore_errors=True)
    bare = summary(samples["python -c pass (baseline)"])
    rows.insert(0, {"measure": "python -c pass (baseline)", **bare})
    for name, *_ in measures[1:]:
        rows.append(row(name, samples[name], bare["p50_ms"]))
    report("client", rows)


if __name__ == "__main__":
    main()
