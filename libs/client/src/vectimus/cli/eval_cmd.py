"""`vectimus eval --source S [FILE|-]`: one raw payload per line in, one decision per line out.

For CI runners and for replaying recorded tool calls against new policies. A bad line gets
a deny line naming the error, and the run goes on. The exit status is 0 when every line was
allowed, 1 when any was denied or escalated, 2 when the policies could not be loaded.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import IO, Any

from vectimus.core.events import SOURCES, Decision
from vectimus.core.jsondecode import DECODE_ERRORS


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--source", required=True, choices=SOURCES, help="the agent tool the payloads come from"
    )
    parser.add_argument(
        "file", nargs="?", default="-", help="JSONL file of raw hook payloads (default: stdin)"
    )
    parser.add_argument(
        "--format", choices=("json", "text"), default="json", help="output format (default json)"
    )


def _numbered(handle: IO[str]) -> list[tuple[int, str]]:
    return [(number, line) for number, line in enumerate(handle, start=1) if line.strip()]


def _lines(name: str) -> list[tuple[int, str]]:
    if name == "-":
        return _numbered(sys.stdin)
    with Path(name).open(encoding="utf-8", errors="replace") as handle:
        return _numbered(handle)


def _record(number: int, decision: Decision, summary: str) -> dict[str, Any]:
    return {
        "line": number,
        "decision": decision.decision,
        "reason": decision.reason,
        "matched_policy_ids": list(decision.matched_policy_ids),
        "action_type": decision.action_type,
        "suggested_alternative": decision.suggested_alternative,
        "receipt_id": decision.receipt_id,
        "evaluation_time_ms": decision.evaluation_time_ms,
        "summary": summary,
    }


def run(args: argparse.Namespace) -> int:
    import msgspec

    from vectimus.core.errors import VectimusError
    from vectimus.core.normalise import normalise
    from vectimus.core.runtime import build_runtime

    try:
        runtime = build_runtime(Path.cwd())
    except VectimusError as exc:
        print(f"vectimus eval: cannot load configuration or policies: {exc}", file=sys.stderr)
        return 2
    try:
        lines = _lines(args.file)
    except OSError as exc:
        print(f"vectimus eval: cannot read {args.file}: {exc.strerror}", file=sys.stderr)
        return 2
    from vectimus.core.record import Recorder, unparsed_event
    from vectimus.core.sessions import call_of
    from vectimus.core.sessions.memory import MemorySessionCounter

    recorder = Recorder(runtime.snapshot)
    # A replay counts its sessions as the hook would: an 11th spawn in one session is denied.
    sessions = MemorySessionCounter()
    ttl_s = runtime.pipeline.limits.session_ttl_s
    worst = 0
    for number, line in lines:
        summary = ""
        event = unparsed_event(args.source, line.encode(), runtime.identity)
        try:
            event = normalise(args.source, msgspec.json.decode(line), identity=runtime.identity)
        except DECODE_ERRORS as exc:
            decision = runtime.pipeline.refuse(f"line {number} is not valid JSON ({exc})")
        except VectimusError as exc:
            decision = runtime.pipeline.refuse(f"line {number}: {exc}")
        else:
            summary = _summary(event.action)
            call = call_of(event, "")
            counts = sessions.count_now([call], ttl_s=ttl_s)[0] if call is not None else None
            decision = runtime.pipeline.evaluate(event, session=counts)
        recorder.record(event, decision)
        record = _record(number, decision, summary)
        record["policy_set_hash"] = runtime.snapshot.compiled.policy_set_hash
        if args.format == "json":
            print(json.dumps(record), flush=True)
        else:
            rules = ",".join(record["matched_policy_ids"]) or "-"
            print(
                f"{decision.decision:<9} {decision.action_type:<18} {rules:<28} {summary[:70]}",
                flush=True,
            )
        if decision.decision != "allow":
            worst = 1
    recorder.close()
    return worst


def _summary(action: Any) -> str:
    for field in ("command", "file_path", "url"):
        value = getattr(action, field)
        if value:
            return str(value).replace("\n", " ")
    if action.mcp_server:
        return f"{action.mcp_server}/{action.mcp_tool}"
    return str(action.raw_tool_name)
