"""Distributed mode: the gateway and two evaluator processes follow one bundle URL and agree
on the version through Redis; an evaluator that cannot take the new set is named on /health."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
import redis

from tests.bundle_server import BundleServer
from tests.unit.bundles.conftest import write_pack
from vectimus.core.bundles.build import build_bundle
from vectimus.core.bundles.format import encode_bundle
from vectimus.core.bundles.trust import public_key_text
from vectimus.core.bus.messages import POLICY_STREAM, PolicyNotice, decode
from vectimus.core.receipts.keys import SigningKey

from .conftest import VECTIMUS, Gateway, Proc, base_env, start_gateway

pytestmark = [pytest.mark.integration, pytest.mark.timeout(60)]


def evaluator(redis_url: str, home: Path, name: str, log_dir: Path) -> Proc:
    argv = [VECTIMUS, "service", "evaluator", "--redis-url", redis_url, "--consumer", name]
    env = base_env(home, VECTIMUS_LOG_LEVEL="warning")
    return Proc(argv, env, log_dir / f"{name}.log").start()


def policies(gateway: Gateway) -> dict[str, Any]:
    report: dict[str, Any] = gateway.get("/health").json()
    return report


def wait_until(check: Any, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def notices(redis_url: str) -> list[PolicyNotice]:
    client = redis.Redis.from_url(redis_url)
    try:
        entries: list[tuple[bytes, dict[bytes, bytes]]] = client.xrange(POLICY_STREAM)  # type: ignore[assignment]
        return [decode(fields[b"m"], PolicyNotice) for _, fields in entries]
    finally:
        client.close()


def test_evaluators_agree_through_redis_and_a_laggard_is_flagged(
    redis_url: str, bundle_server: BundleServer, tmp_path: Path
) -> None:
    key = SigningKey.generate()
    old = build_bundle(write_pack(tmp_path / "old", {"old-a": "alpha", "old-b": "beta"}), key=key)
    new = build_bundle(write_pack(tmp_path / "new", {"new-a": "alpha"}), key=key)
    old_hash, new_hash = old.manifest.policy_set_hash, new.manifest.policy_set_hash
    config = (
        "[policies]\n"
        f'trusted_keys = ["{public_key_text(key.public_key)}"]\n'
        f'bundle_url = "{bundle_server.url}"\n'
        "bundle_poll_s = 0.2\n"
    )
    shared, own = tmp_path / "shared", tmp_path / "own"
    shared.mkdir()
    own.mkdir()
    (shared / "config.toml").write_text(config)
    # The second evaluator's host disables a rule the new set no longer has: it must refuse
    # the new set and keep serving the old one.
    (own / "config.toml").write_text(config + '[rules]\ndisabled = ["old-b"]\n')
    bundle_server.serve(encode_bundle(old))
    procs = [
        evaluator(redis_url, shared, "ev-1", tmp_path),
        evaluator(redis_url, own, "ev-2", tmp_path),
    ]
    gateway = start_gateway(shared, "--redis-url", redis_url)
    gateway.services = procs
    try:
        gateway.wait("/ready")
        wait_until(
            lambda: policies(gateway)["policies"]["evaluators"] == {"evaluator:ev-1": old_hash, "evaluator:ev-2": old_hash},
            10, "both evaluators on the first set",
        )  # fmt: skip
        assert policies(gateway)["policies"]["agree"] is True

        bundle_server.serve(encode_bundle(new))
        wait_until(
            lambda: policies(gateway)["policies"]["evaluators"].get("evaluator:ev-1") == new_hash
            and policies(gateway)["policy_set_hash"] == new_hash,
            10, "the gateway and the first evaluator on the new set",
        )  # fmt: skip
        wait_until(lambda: "ev-2: bundle error" in str(policies(gateway)["policies"]["problems"]), 5,
                   "the second evaluator's refusal to show")  # fmt: skip
        health = policies(gateway)
        assert health["status"] == "degraded"
        assert health["policies"]["agree"] is False
        assert health["policies"]["evaluators"] == {
            "evaluator:ev-1": new_hash,
            "evaluator:ev-2": old_hash,
        }
        problems = "\n".join(health["policies"]["problems"])
        assert f"evaluator ev-2 runs policy set {old_hash[:16]}, the gateway {new_hash[:16]}" in (
            problems
        )
        assert "evaluator ev-2: bundle error:" in problems
        assert "unknown rule id(s): old-b" in problems
        assert gateway.get("/ready", auth=False).status_code == 200

        seen = notices(redis_url)
        moved = {(n.kind, n.instance) for n in seen if n.policy_set_hash == new_hash}
        assert ("ack", "ev-1") in moved
        assert any(kind == "version" for kind, _ in moved)
        assert ("ack", "ev-2") not in moved
        assert all(n.signer == key.key_id for n in seen if n.policy_set_hash == new_hash)
    finally:
        gateway.stop()
