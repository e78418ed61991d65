"""Embedded mode end to end: every evaluation attempt, refusals too, leaves a receipt and an
audit record, and the policy-set hash the gateway reports is the one its receipts record."""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import msgspec
import pytest
from litestar.testing import TestClient

from tests.conftest import POLICIES
from vectimus.core.bus.memory import MemoryBus
from vectimus.core.engine.compile import compile_policies, load_policy_dirs
from vectimus.core.receipts.store import iter_receipts
from vectimus.gateway import app as app_module
from vectimus.gateway.app import build_app
from vectimus.gateway.core import GatewayCore
from vectimus.gateway.policies import PolicyState
from vectimus.gateway.settings import ApiKey, ServerSettings
from vectimus.gateway.wiring import embedded_services, local_evaluation

KEY = "trail-key-0123456789"
AUTH = {"Authorization": f"Bearer {KEY}"}
BASH = {"session_id": "s", "cwd": "/tmp", "tool_name": "Bash", "tool_input": {"command": "ls"}}

Start = Callable[..., tuple[TestClient[Any], GatewayCore]]


def _core(*, evaluator: bool = True, **options: Any) -> GatewayCore:
    settings = ServerSettings(
        api_keys=(ApiKey(name="tester", key=KEY),), eval_deadline_ms=500, **options
    )
    services = tuple(s for s in embedded_services(settings) if evaluator or s.name != "evaluator")
    return GatewayCore(
        settings=settings,
        bus=MemoryBus(),
        policies=PolicyState.for_settings(settings),
        local=local_evaluation(),
        services=services,
    )


@pytest.fixture
def embedded(monkeypatch: pytest.MonkeyPatch) -> Iterator[Start]:
    """``embedded(**options)``: the gateway with the embedded signer and sink (and evaluator)."""
    clients: list[TestClient[Any]] = []

    def start(**options: Any) -> tuple[TestClient[Any], GatewayCore]:
        if options.get("evaluator") is False:  # no evaluator: do not wait for its heartbeat
            monkeypatch.setattr(app_module, "_EMBEDDED_WAIT_S", 0.05)
        core = _core(**options)
        client = TestClient(app=build_app(core))
        client.__enter__()
        clients.append(client)
        return client, core

    yield start
    for client in clients:
        client.__exit__(None, None, None)


def _wait_for(find: Callable[[], Any], what: str, timeout: float = 10.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = find()
        if found:
            return found
        time.sleep(0.05)
    raise AssertionError(f"{what} never appeared")


def _receipt(home: Path, receipt_id: str) -> dict[str, Any]:
    def find() -> dict[str, Any] | None:
        for receipt in iter_receipts(home / "receipts"):
            if receipt.receipt_id == receipt_id:
                return msgspec.to_builtins(receipt)  # type: ignore[no-any-return]
        return None

    return _wait_for(find, f"the receipt {receipt_id}")  # type: ignore[no-any-return]


def _audit(home: Path, receipt_id: str) -> dict[str, Any]:
    def find() -> dict[str, Any] | None:
        for path in (home / "logs").glob("audit*.jsonl"):
            for line in path.read_text().splitlines():
                record = json.loads(line)
                if record.get("receipt_id") == receipt_id:
                    return record  # type: ignore[no-any-return]
        return None

    return _wait_for(find, f"the audit record of {receipt_id}")  # type: ignore[no-any-return]


def _assert_recorded(home: Path, receipt_id: str) -> tuple[dict[str, Any], dict[str, Any]]:
    receipt = _receipt(home, receipt_id)
    record = _audit(home, receipt_id)
    assert receipt["receipt_id"] == receipt_id
    assert record["receipt_id"] == receipt_id
    assert record["caller"] == "tester"
    return receipt, record


class TestRefusalsLeaveATrail:
    def test_unknown_source_is_a_recorded_deny(self, embedded: Start, vectimus_home: Path) -> None:
        client, _ = embedded()
        answer = client.post(
            "/evaluate", content=json.dumps(BASH), headers={**AUTH, "X-Vectimus-Source": "emacs"}
        )
        body = answer.json()
        assert answer.status_code == 400
        assert body["error"] == "unknown-source"
        assert "cursor" in body["valid_sources"]
        assert body["decision"] == "deny"
        assert body["receipt_id"] in body["reason"]
        receipt, record = _assert_recorded(vectimus_home, body["receipt_id"])
        assert receipt["decision"] == "deny"
        assert record["decision"]["decision"] == "deny"

    def test_payload_that_is_not_an_object_is_a_recorded_deny(
        self, embedded: Start, vectimus_home: Path
    ) -> None:
        client, _ = embedded()
        answer = client.post("/evaluate", content=b"[1, 2]", headers=AUTH)
        body = answer.json()
        assert (answer.status_code, body["error"], body["decision"]) == (400, "bad-payload", "deny")
        _assert_recorded(vectimus_home, body["receipt_id"])

    @pytest.mark.parametrize(("hook", "status"), [(True, 200), (False, 503)])
    def test_unevaluable_call_is_a_recorded_deny(
        self, embedded: Start, vectimus_home: Path, hook: bool, status: int
    ) -> None:
        client, core = embedded(evaluator=False, degraded_fallback=False)
        payload = {**BASH, "hook_event_name": "PreToolUse"} if hook else BASH
        answer = client.post("/evaluate", content=json.dumps(payload), headers=AUTH)
        body = answer.json()
        assert (answer.status_code, body["decision"], body["degraded"]) == (status, "deny", True)
        receipt, record = _assert_recorded(vectimus_home, body["receipt_id"])
        assert receipt["policy_set_hash"] == core.policies.policy_set_hash != ""
        assert record["decision"]["decision"] == "deny"

    def test_http_rejections_leave_no_trail(self, embedded: Start, vectimus_home: Path) -> None:
        client, core = embedded()
        published: list[str] = []
        publish = core.bus.publish

        async def spy(stream: str, payload: bytes, **kwargs: Any) -> Any:
            published.append(stream)
            return await publish(stream, payload, **kwargs)

        core.decider.bus.publish = spy  # type: ignore[method-assign]
        assert client.post("/evaluate", content=json.dumps(BASH)).status_code == 401
        assert client.post("/evaluate", content=b'{"x": ', headers=AUTH).status_code == 400
        assert client.post("/evaluate", content=b"", headers=AUTH).status_code == 400
        big = b'{"x": "' + b"a" * (1024 * 1024 + 10) + b'"}'
        assert client.post("/evaluate", content=big, headers=AUTH).status_code == 413
        assert published == []

    def test_a_refusal_the_bus_cannot_take_says_so(self, embedded: Start) -> None:
        client, core = embedded(evaluator=False, degraded_fallback=False)

        async def down(*_args: Any, **_kwargs: Any) -> Any:
            raise ConnectionError("redis is gone")

        core.decider.bus.publish = down  # type: ignore[method-assign]
        answer = client.post("/evaluate", content=json.dumps(BASH), headers=AUTH)
        body = answer.json()
        assert (answer.status_code, body["decision"]) == (503, "deny")
        assert "not recorded" in body["reason"]
        assert "redis is gone" in body["reason"]
        bad = client.post(
            "/evaluate", content=json.dumps(BASH), headers={**AUTH, "X-Vectimus-Source": "emacs"}
        ).json()
        assert bad["decision"] == "deny"
        assert "not recorded" in bad["reason"]


class TestOnePolicySetHash:
    def test_policies_hash_is_the_receipts_hash(
        self,
        embedded: Start,
        vectimus_home: Path,
        tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        # A directory that is itself a pack (no pack.toml: named after the directory), given
        # as a relative path: the gateway and the evaluator must still agree on the hash.
        pack = tmp_path / "acme"
        shutil.copytree(POLICIES / "destructive-ops", pack)
        (pack / "pack.toml").unlink(missing_ok=True)
        shutil.rmtree(pack / "tests", ignore_errors=True)
        monkeypatch.chdir(pack)
        client, _ = embedded(policy_dir=Path())
        _wait_for(lambda: client.get("/ready").status_code == 200, "readiness")
        policies = client.get("/policies", headers=AUTH).json()
        assert policies["packs"] == {"acme": "0"}
        health = client.get("/health").json()
        answer = client.post(
            "/evaluate",
            content=json.dumps({**BASH, "tool_input": {"command": "rm -rf /"}}),
            headers=AUTH,
        ).json()
        assert answer["degraded"] is False
        receipt, record = _assert_recorded(vectimus_home, answer["receipt_id"])
        [evaluator] = health["services"]["evaluator"]["instances"]
        hashes = {
            policies["policy_set_hash"],
            health["policy_set_hash"],
            evaluator["policy_set_hash"],
            receipt["policy_set_hash"],
            record["policy_set_hash"],
        }
        assert len(hashes) == 1
        assert "" not in hashes


def test_pack_names_do_not_depend_on_how_the_path_is_spelled(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pack = tmp_path / "acme"
    pack.mkdir()
    shutil.copy(next((POLICIES / "destructive-ops").glob("*.cedar")), pack)
    monkeypatch.chdir(pack)
    relative = compile_policies(load_policy_dirs([Path()]))
    absolute = compile_policies(load_policy_dirs([pack]))
    assert relative.packs == absolute.packs == {"acme": "0"}
    assert relative.policy_set_hash == absolute.policy_set_hash
