"""Hot reload on a real gateway (granian, embedded): a signed bundle polled from a URL with
ETags, swapped in under load, and a broken one that leaves the old set serving."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.bundle_server import BundleServer
from tests.unit.bundles.conftest import resign, write_pack
from vectimus.core.bundles.build import build_bundle
from vectimus.core.bundles.format import Bundle, encode_bundle
from vectimus.core.bundles.trust import public_key_text
from vectimus.core.receipts.keys import SigningKey
from vectimus.core.receipts.store import iter_receipts

from .conftest import AUTH, Gateway, start_gateway

pytestmark = [pytest.mark.integration, pytest.mark.timeout(60)]

# One call, two simple commands: each set has one rule per command. A request answered by a
# mix of two sets would match one old rule and one new one.
COMMAND = "alpha --now && beta --now"
OLD = {"old-a": "alpha", "old-b": "beta"}
NEW = {"new-a": "alpha", "new-b": "beta"}
CLIENTS = 4


def bundles(tmp_path: Path, key: SigningKey) -> tuple[Bundle, Bundle]:
    old = build_bundle(write_pack(tmp_path / "old", OLD), key=key)
    new = build_bundle(write_pack(tmp_path / "new", NEW), key=key)
    return old, new


def configure(home: Path, key: SigningKey, url: str) -> None:
    (home / "config.toml").write_text(
        "[policies]\n"
        f'trusted_keys = ["{public_key_text(key.public_key)}"]\n'
        f'bundle_url = "{url}"\n'
        "bundle_poll_s = 0.2\n"
    )


class Load:
    """CLIENTS threads posting the same call until stopped; every answer is kept."""

    def __init__(self, gateway: Gateway) -> None:
        self.url = f"{gateway.url}/evaluate"
        self.answers: list[tuple[int, dict[str, Any]]] = []
        self.errors: list[str] = []
        self._stop = threading.Event()
        self._lock = threading.Lock()
        body = json.dumps({"session_id": "s", "cwd": "/tmp", "tool_name": "Bash",
                           "tool_input": {"command": COMMAND}})  # fmt: skip
        self._threads = [
            threading.Thread(target=self._run, args=(body,), daemon=True) for _ in range(CLIENTS)
        ]

    def _run(self, body: str) -> None:
        with httpx.Client(headers=AUTH, timeout=10) as client:
            while not self._stop.is_set():
                try:
                    answer = client.post(self.url, content=body)
                    found = (answer.status_code, answer.json())
                except (httpx.HTTPError, ValueError) as exc:
                    with self._lock:
                        self.errors.append(repr(exc))
                    continue
                with self._lock:
                    self.answers.append(found)

    def start(self) -> Load:
        for thread in self._threads:
            thread.start()
        return self

    def hashes(self) -> list[str]:
        with self._lock:
            return [body.get("policy_set_hash", "") for _, body in self.answers]

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(10)


def wait_until(check: Any, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def test_swap_under_load_then_a_broken_bundle_keeps_the_set(
    bundle_server: BundleServer, home: Path, tmp_path: Path
) -> None:
    key = SigningKey.generate()
    old, new = bundles(tmp_path, key)
    old_hash, new_hash = old.manifest.policy_set_hash, new.manifest.policy_set_hash
    bundle_server.serve(encode_bundle(old))
    configure(home, key, bundle_server.url)
    gateway = start_gateway(home)
    try:
        gateway.wait("/ready")
        load = Load(gateway).start()
        try:
            wait_until(lambda: len(load.hashes()) >= 100, 10, "answers under the old set")
            bundle_server.serve(encode_bundle(new))
            swapped_at = len(load.hashes())
            wait_until(lambda: load.hashes()[-CLIENTS * 25 :].count(new_hash) >= CLIENTS * 25,
                       10, "the new set to answer every request")  # fmt: skip
        finally:
            load.stop()

        # Zero failed requests; every answer from exactly one of the two sets.
        assert load.errors == []
        assert {status for status, _ in load.answers} == {200}
        expected = {old_hash: {"old-a", "old-b"}, new_hash: {"new-a", "new-b"}}
        for _, body in load.answers:
            assert body["policy_set_hash"] in expected, body
            assert set(body["matched_policy_ids"]) == expected[body["policy_set_hash"]], body
            assert body["decision"] == "deny"
            assert body["degraded"] is False
        hashes = load.hashes()
        assert hashes[:swapped_at].count(old_hash) == swapped_at
        assert old_hash in hashes and new_hash in hashes

        policies = gateway.get("/policies").json()
        assert policies["policy_set_hash"] == new_hash
        assert policies["source"]["kind"] == "bundle"
        assert policies["source"]["signer"] == key.key_id
        assert policies["source"]["signer_trusted"] is True
        assert policies["source"]["origin"] == bundle_server.url
        # The evaluator acknowledges with its next heartbeat (within a second).
        wait_until(lambda: gateway.get("/health").json()["policies"]["agree"], 5,
                   "the evaluator's heartbeat to report the new set")  # fmt: skip
        health = gateway.get("/health").json()
        assert health["status"] == "ok", health
        assert list(health["policies"]["evaluators"].values()) == [new_hash]
        assert health["policies"]["problems"] == []

        # The receipt and the audit record of an answer carry the hash the answer names.
        last = load.answers[-1][1]
        audit = home / "logs" / "audit.jsonl"
        wait_until(lambda: audit.exists() and last["receipt_id"] in audit.read_text(), 10,
                   "the audit record")  # fmt: skip
        records = [json.loads(line) for line in audit.read_text().splitlines()]
        [record] = [r for r in records if r["receipt_id"] == last["receipt_id"]]
        assert record["policy_set_hash"] == new_hash
        [receipt] = [
            r for r in iter_receipts(home / "receipts") if r.receipt_id == last["receipt_id"]
        ]
        assert receipt.policy_set_hash == new_hash

        # A broken policy in a validly signed bundle: refused; the new set keeps serving.
        broken = resign(new, key, {"packs/team/new-a.cedar": '@id("new-a")\nforbid (;\n'})
        bundle_server.serve(encode_bundle(broken))
        wait_until(lambda: gateway.get("/health").json()["status"] == "degraded", 10,
                   "/health to say degraded")  # fmt: skip
        health = gateway.get("/health").json()
        [problem] = health["policies"]["problems"]
        assert "refused" in problem
        assert "packs/team/new-a.cedar:1: Cedar parse error" in problem
        assert gateway.get("/ready", auth=False).status_code == 200
        after = gateway.post({"tool_name": "Bash", "tool_input": {"command": COMMAND}}).json()
        assert after["policy_set_hash"] == new_hash
        assert set(after["matched_policy_ids"]) == {"new-a", "new-b"}

        # ETag polling: each bundle was downloaded once, every other poll was a 304.
        assert bundle_server.sent == 3
        assert bundle_server.not_modified > 0
    finally:
        gateway.stop()
