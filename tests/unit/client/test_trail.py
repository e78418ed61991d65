"""The daemon's trail records off the answer path, and applies retention as it settles."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from vectimus.cli.answer import answer_payload
from vectimus.client.daemon import trail as trail_module
from vectimus.client.daemon.trail import Trail

RM_ROOT = json.dumps(
    {"session_id": "s", "cwd": "/tmp", "tool_name": "Bash", "tool_input": {"command": "rm -rf /"}}
).encode()


def test_records_and_runs_retention_on_close(
    vectimus_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    closes: list[object] = []
    real_close = trail_module.Recorder.close

    def counting_close(self: trail_module.Recorder) -> None:
        closes.append(self)
        real_close(self)  # flush the audit log, prune audit files and receipts when due

    monkeypatch.setattr(trail_module.Recorder, "close", counting_close)
    trail = Trail()
    outcomes = [answer_payload("claude-code", RM_ROOT, cwd=Path("/tmp"))[0] for _ in range(3)]
    for outcome in outcomes:
        trail.submit("claude-code", RM_ROOT, outcome)
    bad = answer_payload("claude-code", b"{not json", cwd=Path("/tmp"))[0]
    trail.submit("claude-code", b"{not json", bad)
    trail.close()
    assert trail.recorded == 4 and trail.failed == 0
    assert closes, "retention ran when the trail closed"
    lines = (vectimus_home / "logs" / "audit.jsonl").read_text().splitlines()
    recorded = {json.loads(line)["receipt_id"] for line in lines}
    assert {o.decision.receipt_id for o in [*outcomes, bad]} <= recorded
