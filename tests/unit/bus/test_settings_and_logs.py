"""Worker settings from flags and VECTIMUS_* variables; the JSON log lines every service writes."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import structlog

from vectimus.core import logs
from vectimus.core.errors import ConfigError
from vectimus.core.logs import bind_ids, configure_logging, get_logger, logs_at
from vectimus.evaluator.settings import EvaluatorSettings
from vectimus.receipt_signer.settings import ReceiptSignerSettings


class TestSettings:
    def test_flags_beat_the_environment_which_beats_defaults(self) -> None:
        env = {
            "VECTIMUS_REDIS_URL": "redis://env:6379/0",
            "VECTIMUS_BATCH_SIZE": "7",
            "VECTIMUS_OBSERVE": "yes",
            "VECTIMUS_POLICY_DIR": "/env/policies",
        }
        found = EvaluatorSettings.from_env(env, redis_url="redis://flag:6379/0", policy_dir=None)
        assert found.redis_url == "redis://flag:6379/0"
        assert found.batch_size == 7
        assert found.observe is True
        assert found.policy_dir == Path("/env/policies")
        assert found.claim_idle_ms == 15_000

    def test_a_bad_variable_is_named(self) -> None:
        with pytest.raises(ConfigError, match="VECTIMUS_BATCH_SIZE"):
            EvaluatorSettings.from_env({"VECTIMUS_BATCH_SIZE": "many"})
        with pytest.raises(ConfigError, match="VECTIMUS_OBSERVE"):
            EvaluatorSettings.from_env({"VECTIMUS_OBSERVE": "perhaps"})
        with pytest.raises(ConfigError, match="--max-deliveries"):
            EvaluatorSettings.from_env({}, max_deliveries=0)

    def test_each_service_has_its_own_variables(self) -> None:
        found = ReceiptSignerSettings.from_env({"VECTIMUS_SIGNING_KEY": "/k.pem"})
        assert found.key_file == Path("/k.pem")
        assert "policy_dir" not in ReceiptSignerSettings.model_fields


@pytest.fixture
def restore_logging(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr(logs, "_threshold", logs._threshold)  # restored with the rest
    yield
    structlog.reset_defaults()
    structlog.contextvars.clear_contextvars()


class TestLogs:
    @pytest.mark.usefixtures("restore_logging")
    def test_every_line_has_the_keys_and_no_secret(self) -> None:
        out = io.StringIO()
        configure_logging("evaluator", stream=out)
        log = get_logger("test")
        with bind_ids(request_id="req-1", receipt_id="rec-1"):
            log.info("decided", count=1)
        log.warning("outside")
        try:
            raise ValueError("token AKIAIOSFODNN7EXAMPLE in the input")
        except ValueError:
            log.exception("failed")
        lines = [json.loads(line) for line in out.getvalue().splitlines()]
        for line in lines:
            assert {"event", "level", "timestamp", "request_id", "receipt_id", "component"} <= set(
                line
            )
            assert line["component"] == "evaluator"
        assert (lines[0]["request_id"], lines[0]["receipt_id"]) == ("req-1", "rec-1")
        assert lines[1]["request_id"] == ""
        assert "AKIAIOSFODNN7EXAMPLE" not in out.getvalue()
        assert "ValueError" in lines[2]["exception"]

    @pytest.mark.usefixtures("restore_logging")
    def test_logs_at_follows_the_configured_level(self) -> None:
        out = io.StringIO()
        configure_logging("gateway", level="warning", stream=out)
        assert not logs_at("info") and logs_at("warning") and logs_at("error")
        get_logger("test").info("dropped")
        assert out.getvalue() == ""
        configure_logging("gateway", level="debug", stream=out)
        assert logs_at("debug")
        get_logger("test").debug("kept")
        assert json.loads(out.getvalue())["event"] == "kept"
