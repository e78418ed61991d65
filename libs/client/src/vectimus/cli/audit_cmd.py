"""`vectimus audit tail|query`: read the audit log (all rotated files, in order)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterable
from pathlib import Path

import msgspec

from vectimus.core.audit.reader import LineProblem, RecordFilter, parse_when, query, tail
from vectimus.core.audit.record import AuditRecord
from vectimus.core.errors import VectimusError
from vectimus.core.events import SOURCES


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--log-dir",
        type=Path,
        metavar="DIR",
        help="audit log directory (default: [audit] log_dir from config, else $VECTIMUS_HOME/logs)",
    )
    parser.add_argument(
        "--format", choices=("text", "json"), default="text", help="output format (default text)"
    )


def configure(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="audit_command", metavar="ACTION", required=True)
    tail_parser = sub.add_parser(
        "tail", help="show the last records", description="Show the last N audit records."
    )
    tail_parser.add_argument(
        "-n", "--lines", type=int, default=20, metavar="N", help="how many (default 20)"
    )
    _common(tail_parser)

    query_parser = sub.add_parser(
        "query", help="filter records", description="Print the audit records that match."
    )
    query_parser.add_argument("--decision", choices=("allow", "deny", "escalate"))
    query_parser.add_argument("--rule", metavar="POLICY_ID", help="a matched policy id")
    query_parser.add_argument("--source", metavar="TOOL", help=f"one of {', '.join(SOURCES)}")
    query_parser.add_argument(
        "--since", metavar="WHEN", help="ISO 8601 time or an age such as 30m, 1h, 7d"
    )
    query_parser.add_argument("--until", metavar="WHEN", help="ISO 8601 time or an age")
    query_parser.add_argument("--limit", type=int, metavar="N", help="stop after N records")
    _common(query_parser)


def _error(message: str) -> int:
    print(f"vectimus audit: error: {message}", file=sys.stderr)
    return 2


def _configured_log_dir() -> Path:
    """The log directory the config in force here names ([audit] log_dir, VECTIMUS_AUDIT_DIR)."""
    from vectimus.core.config import load_config

    return load_config(Path.cwd()).settings.audit.resolved_log_dir()


def run(args: argparse.Namespace) -> int:
    try:
        log_dir: Path = args.log_dir or _configured_log_dir()
    except VectimusError as exc:
        return _error(str(exc))
    problems: list[LineProblem] = []
    if not log_dir.is_dir():
        return _error(f"no audit log at {log_dir}")
    try:
        if args.audit_command == "tail":
            if args.lines < 0:
                return _error("-n must be 0 or more")
            records: Iterable[AuditRecord] = tail(log_dir, args.lines, problems=problems)
        else:
            where = RecordFilter(
                decision=args.decision,
                rule=args.rule,
                source=args.source,
                since=parse_when(args.since) if args.since else None,
                until=parse_when(args.until) if args.until else None,
            )
            records = query(log_dir, where, problems)
        _print(records, args.format, getattr(args, "limit", None))
    except ValueError as exc:
        return _error(str(exc))
    except VectimusError as exc:
        return _error(str(exc))
    except BrokenPipeError:
        sys.stderr.close()  # the reader went away (e.g. `| head`): not an error
        return 0
    except OSError as exc:
        return _error(f"{exc.filename or log_dir}: {exc.strerror or exc}")
    for problem in problems:
        print(f"vectimus audit: warning: {problem}", file=sys.stderr)
    return 0


def _print(records: Iterable[AuditRecord], fmt: str, limit: int | None) -> None:
    out = sys.stdout
    for count, record in enumerate(records):
        if limit is not None and count >= limit:
            break
        if fmt == "json":
            out.write(msgspec.json.encode(record).decode("utf-8") + "\n")
        else:
            out.write(_text(record) + "\n")
    out.flush()


def _text(record: AuditRecord) -> str:
    action = record.event.action
    what = (
        action.command
        or action.file_path
        or action.url
        or (f"{action.mcp_server}/{action.mcp_tool}" if action.mcp_tool else None)
        or action.package_name
        or action.raw_tool_name
    )
    what = " ".join(what.split())
    if len(what) > 80:
        what = what[:77] + "..."
    rules = ",".join(record.decision.matched_policy_ids) or "-"
    return "  ".join(
        (
            record.recorded_at,
            f"{record.decision.decision:<8}",
            record.event.source.tool,
            record.caller,
            action.action_type,
            what,
            f"rules={rules}",
            f"receipt={record.receipt_id or '-'}",
        )
    )
