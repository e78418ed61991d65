"""Fixtures for the framework tests: a project directory and its trail of receipts and audit."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from vectimus.core.audit import AuditSettings
from vectimus.core.audit.reader import iter_records, log_files
from vectimus.core.audit.record import AuditRecord
from vectimus.core.receipts.chain import verify_chain
from vectimus.core.receipts.keys import Keyring, keyring_dir
from vectimus.core.receipts.receipt import Receipt
from vectimus.core.receipts.store import iter_receipts, receipts_dir
from vectimus.integrations.core import Trail


@pytest.fixture(autouse=True)
def close_trails(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Close every trail a test opened before the next test moves VECTIMUS_HOME."""
    opened: list[Trail] = []
    original = Trail.__init__

    def tracked(self: Trail, *args: Any, **kwargs: Any) -> None:
        original(self, *args, **kwargs)
        opened.append(self)

    monkeypatch.setattr(Trail, "__init__", tracked)
    yield
    for trail in opened:
        trail.close()


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A git project to run the agent in (receipts go to its .vectimus/receipts)."""
    root = tmp_path / "project"
    (root / ".git").mkdir(parents=True)
    monkeypatch.chdir(root)
    return root


@dataclass
class TrailRead:
    receipts: dict[str, Receipt]
    records: dict[str, AuditRecord]


def read_trail(project: Path) -> TrailRead:
    """Every receipt (its chain verified) and audit record, by receipt id."""
    receipts = list(iter_receipts(receipts_dir(project)))
    report = verify_chain(receipts, Keyring(keyring_dir()))
    assert report.ok, report.problems
    records = list(iter_records(log_files(AuditSettings().resolved_log_dir())))
    return TrailRead({r.receipt_id: r for r in receipts}, {r.receipt_id: r for r in records})
