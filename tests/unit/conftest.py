"""Fixtures shared by the receipts and audit tests: a private VECTIMUS_HOME, keys, events."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from vectimus.core.events import Action, Context, Decision, Event, Identity, Source
from vectimus.core.receipts.ids import new_receipt_id
from vectimus.core.receipts.keys import SigningKey, load_or_create_signing_key
from vectimus.core.receipts.receipt import MemoryHeadStore, Receipt, ReceiptSigner


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "vhome"
    monkeypatch.setenv("VECTIMUS_HOME", str(path))
    return path


@pytest.fixture
def key(home: Path) -> SigningKey:
    return load_or_create_signing_key()


def make_event(command: str = "ls -la", **action: object) -> Event:
    return Event(
        source=Source(tool="claude-code", version="1.0", session_id="s1"),
        identity=Identity(principal="alice@example.com"),
        action=Action(action_type="shell_command", raw_tool_name="Bash", command=command, **action),  # type: ignore[arg-type]
        context=Context(repository="r", branch="main", hostname="h", cwd="/p"),
    )


def make_decision(
    kind: str = "deny", reason: str = "blocked by policy", elapsed: float = 0.42
) -> Decision:
    return Decision(
        decision=kind,  # type: ignore[arg-type]
        reason=reason,
        action_type="shell_command",
        matched_policy_ids=("vectimus-base-001", "vectimus-base-007"),
        receipt_id=new_receipt_id(),
        evaluation_time_ms=elapsed,
    )


class StepClock:
    """A clock that advances one second per reading, from a fixed start."""

    def __init__(self, start: datetime | None = None) -> None:
        self.now = start or datetime(2026, 3, 1, 12, 0, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        self.now += timedelta(seconds=1)
        return self.now


def sign_n(signer: ReceiptSigner, count: int, **decision: object) -> list[Receipt]:
    return [
        signer.sign(
            make_event(f"echo {i}"),
            make_decision(**decision),  # type: ignore[arg-type]
            policy_set_hash="ab" * 32,
            pack_versions={"base": "1.2.0"},
            source="claude-code",
            principal="alice@example.com",
        )
        for i in range(count)
    ]


@pytest.fixture
def signer(key: SigningKey) -> Iterator[ReceiptSigner]:
    yield ReceiptSigner(key, MemoryHeadStore(), clock=StepClock())


@pytest.fixture
def event() -> Callable[..., Event]:
    return make_event


@pytest.fixture
def decision() -> Callable[..., Decision]:
    return make_decision


@pytest.fixture
def many() -> Callable[..., list[Receipt]]:
    return sign_n


@pytest.fixture
def step_clock() -> type[StepClock]:
    return StepClock
