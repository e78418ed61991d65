from __future__ import annotations

import json
import stat
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from vectimus.core.receipts.chain import verify_chain
from vectimus.core.receipts.keys import Keyring, SigningKey, keyring_dir
from vectimus.core.receipts.receipt import (
    Receipt,
    ReceiptError,
    ReceiptSigner,
    receipt_bytes,
)
from vectimus.core.receipts.settings import ReceiptSettings
from vectimus.core.receipts.store import (
    ANCHORS_FILE,
    FileHeadStore,
    ReceiptStore,
    iter_receipts,
    load_receipts,
    placement_problem,
    read_anchors,
    receipts_dir,
)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    root.mkdir()
    return root


def _signer(key: SigningKey, store: ReceiptStore, clock: object) -> ReceiptSigner:
    return ReceiptSigner(key, FileHeadStore.for_receipts_dir(store.root), clock=clock)  # type: ignore[arg-type]


def test_layout_and_permissions(
    project: Path, key: SigningKey, many: Callable[..., list[Receipt]], step_clock: type
) -> None:
    store = ReceiptStore.for_project(project)
    assert store.root == project / ".vectimus" / "receipts" == receipts_dir(project)
    receipt = many(_signer(key, store, step_clock()), 1)[0]
    store.write(receipt)
    path = store.path_for(receipt)
    assert path == store.root / receipt.timestamp[:10] / f"{receipt.receipt_id}.json"
    assert path.read_bytes() == receipt_bytes(receipt) + b"\n"
    assert _mode(path) == 0o600
    assert _mode(path.parent) == 0o700
    assert _mode(store.root) == 0o700
    assert [p.name for p in path.parent.iterdir()] == [path.name]  # no temporary left over


def test_head_files_live_under_vectimus_home(
    home: Path, project: Path, key: SigningKey, many: Callable[..., list[Receipt]], step_clock: type
) -> None:
    store = ReceiptStore.for_project(project)
    heads = FileHeadStore.for_receipts_dir(store.root)
    assert heads.path.parent == home / "chains"
    many(ReceiptSigner(key, heads, clock=step_clock()), 2)
    assert _mode(heads.path) == 0o600
    assert _mode(heads.path.parent) == 0o700
    assert heads.read(key.key_id).receipt_id


def test_corrupt_head_file_is_an_error_naming_it(
    project: Path, key: SigningKey, many: Callable[..., list[Receipt]]
) -> None:
    heads = FileHeadStore.for_receipts_dir(receipts_dir(project))
    heads.path.parent.mkdir(parents=True)
    heads.path.write_text("{broken")
    with pytest.raises(ReceiptError) as caught:
        many(ReceiptSigner(key, heads), 1)
    assert str(heads.path) in str(caught.value)


def test_load_reports_files_that_are_not_receipts(
    project: Path, key: SigningKey, many: Callable[..., list[Receipt]], step_clock: type
) -> None:
    store = ReceiptStore.for_project(project)
    for receipt in many(_signer(key, store, step_clock()), 2):
        store.write(receipt)
    day = next(store.root.iterdir())
    (day / "junk.json").write_text("not json")
    (day / "other.json").write_text(json.dumps({"hello": 1}))
    found, problems = load_receipts(store.root)
    assert len(found) == 2
    assert sorted(p.path.name for p in problems) == ["junk.json", "other.json"]
    assert all(str(p.path) in p.reason for p in problems)


def test_swapped_files_are_noticed(
    project: Path, key: SigningKey, many: Callable[..., list[Receipt]], step_clock: type
) -> None:
    store = ReceiptStore.for_project(project)
    receipts = many(_signer(key, store, step_clock()), 2)
    for receipt in receipts:
        store.write(receipt)
    paths = [store.path_for(r) for r in receipts]
    first, second = (p.read_bytes() for p in paths)
    paths[0].write_bytes(second)
    paths[1].write_bytes(first)
    found, _ = load_receipts(store.root)
    problems = [placement_problem(entry) for entry in found]
    assert all(problem is not None and "holds receipt" in problem for problem in problems)


def _dated_receipts(
    store: ReceiptStore, key: SigningKey, many: Callable[..., list[Receipt]], step_clock: type
) -> list[Receipt]:
    receipts = []
    for day in (1, 2, 3, 4):
        clock = step_clock(datetime(2026, 3, day, 10, tzinfo=UTC))
        for receipt in many(_signer(key, store, clock), 2):
            store.write(receipt)
            receipts.append(receipt)
    return receipts


def test_prune_by_days_keeps_the_chain_verifiable(
    project: Path, key: SigningKey, many: Callable[..., list[Receipt]], step_clock: type
) -> None:
    store = ReceiptStore.for_project(project)
    _dated_receipts(store, key, many, step_clock)
    result = store.prune(days=1, key=key, today=date(2026, 3, 4))
    assert [p.name for p in result.removed_dirs] == ["2026-03-01", "2026-03-02"]
    assert result.removed_receipts == 4
    assert sorted(p.name for p in store.root.iterdir() if p.is_dir()) == [
        "2026-03-03",
        "2026-03-04",
    ]
    keyring = Keyring(keyring_dir())
    anchors, problem = read_anchors(store.root, keyring)
    assert problem is None
    report = verify_chain(iter_receipts(store.root), keyring, anchors=anchors)
    assert report.ok, report.problems
    assert not verify_chain(iter_receipts(store.root), keyring).ok  # anchors are needed
    # A second prune replaces the anchor with the newer chain end.
    store.prune(days=0, key=key, today=date(2026, 3, 4))
    anchors, problem = read_anchors(store.root, keyring)
    assert problem is None
    assert verify_chain(iter_receipts(store.root), keyring, anchors=anchors).ok
    assert sum(len(v) for v in anchors.values()) == 1


def test_prune_all_then_sign_again_still_verifies(
    project: Path, key: SigningKey, many: Callable[..., list[Receipt]], step_clock: type
) -> None:
    store = ReceiptStore.for_project(project)
    _dated_receipts(store, key, many, step_clock)
    result = store.prune(days=None, key=key)
    assert len(result.removed_dirs) == 4
    clock = step_clock(datetime(2026, 3, 5, tzinfo=UTC))
    for receipt in many(_signer(key, store, clock), 2):
        store.write(receipt)
    keyring = Keyring(keyring_dir())
    anchors, _ = read_anchors(store.root, keyring)
    assert verify_chain(iter_receipts(store.root), keyring, anchors=anchors).ok


def test_forged_anchors_excuse_nothing(
    project: Path, key: SigningKey, many: Callable[..., list[Receipt]], step_clock: type
) -> None:
    store = ReceiptStore.for_project(project)
    _dated_receipts(store, key, many, step_clock)
    store.prune(days=1, key=key, today=date(2026, 3, 4))
    path = store.root / ANCHORS_FILE
    data = json.loads(path.read_text())
    data["anchors"][key.key_id] = ["0" * 64]
    path.write_text(json.dumps(data))
    anchors, problem = read_anchors(store.root, Keyring(keyring_dir()))
    assert anchors == {}
    assert problem is not None
    assert "bad signature" in problem


def test_prune_if_due_runs_once_a_day(
    project: Path, key: SigningKey, many: Callable[..., list[Receipt]], step_clock: type
) -> None:
    store = ReceiptStore.for_project(project)
    _dated_receipts(store, key, many, step_clock)
    first = store.prune_if_due(retention_days=7, key=key)
    assert first is not None
    assert len(first.removed_dirs) >= 4  # 2026-03 is long gone by the time this runs
    assert store.prune_if_due(retention_days=7, key=key) is None


def test_receipt_settings() -> None:
    settings = ReceiptSettings()
    assert settings.enabled is True
    assert settings.retention_days == 7
    assert ReceiptSettings.model_validate({"enabled": False, "retention_days": 30}).enabled is False
    with pytest.raises(ValueError, match="retention_days"):
        ReceiptSettings.model_validate({"retention_days": -1})
    with pytest.raises(ValueError, match="extra"):
        ReceiptSettings.model_validate({"retention": 3})
