"""`vectimus policy status`: the policy set in force here, where it came from, who signed it."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any


def _signed(source: dict[str, Any]) -> str:
    if source.get("kind") != "bundle":
        return "-"
    if not source.get("signer"):
        return "no (unsigned bundle)"
    if source.get("signer_trusted"):
        return f"yes, by {source['signer']} (a trusted key)"
    return f"yes, by {source['signer']} (not checked: no trusted_keys configured)"


def status_report(cwd: Path) -> dict[str, Any]:
    """What is in force for calls made in ``cwd``; raises VectimusError when it cannot load."""
    from vectimus.client import control
    from vectimus.core.runtime import resolve_snapshot

    snapshot = resolve_snapshot(cwd)
    compiled = snapshot.compiled
    report: dict[str, Any] = {
        "policy_set_hash": compiled.policy_set_hash,
        "rules": len(compiled.rules),
        "packs": dict(sorted(compiled.packs.items())),
        "source": snapshot.policy_source.describe(),
    }
    daemon = control.status() if os.environ.get("VECTIMUS_DAEMON", "1") != "0" else None
    if daemon is not None:
        report["daemon"] = [
            {"project": p["project"], "policy_set_hash": p["policy_set_hash"]}
            for p in daemon["projects"]
        ]
    return report


def show_status(output: str) -> int:
    from vectimus.core.errors import VectimusError

    try:
        report = status_report(Path.cwd())
    except VectimusError as exc:
        print(f"policies: CANNOT LOAD ({exc}); every hook call is denied until this is fixed")
        return 1
    if output == "json":
        print(json.dumps(report, indent=2))
        return 0
    source = report["source"]
    names = {"bundled": "the packs shipped with Vectimus", "directory": "a policy directory"}
    rows = [
        ("policy set", report["policy_set_hash"]),
        ("source", names.get(source["kind"], "an installed bundle")),
        ("location", source["location"]),
    ]
    if source["kind"] == "bundle":
        rows += [
            ("from", source["origin"]),
            ("bundle", source["bundle_id"]),
            ("built", source["built_at"]),
            ("installed", source["installed_at"]),
        ]
    rows += [
        ("signed", _signed(source)),
        ("packs", ", ".join(f"{n} {v}" for n, v in report["packs"].items()) or "-"),
        ("rules", str(report["rules"])),
    ]
    for project in report.get("daemon", []):
        where = project["project"] or "(no project)"
        rows.append(("daemon", f"{project['policy_set_hash'][:16]} in force for {where}"))
    for label, value in rows:
        print(f"{label + ':':<12}{value}")
    return 0
