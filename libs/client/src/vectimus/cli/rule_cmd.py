"""`vectimus rule list | show ID | disable ID | enable ID | enforce ID --level LEVEL`.

Changes go to the user-level config (~/.vectimus/config.toml) only, keeping its comments.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from vectimus.cli.manage import catalog, edit_user_config, fail

if TYPE_CHECKING:
    from vectimus.core.catalog import Catalog

LEVELS = ("deny", "escalate", "observe")


def configure(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="rule_command", metavar="ACTION", required=True)
    sub.add_parser("list", help="every rule: id, pack, effective enforcement, description")
    for name, text in (
        ("show", "all of a rule's annotations and where it is defined"),
        ("disable", "stop evaluating a rule (user config rules.disabled)"),
        ("enable", "evaluate a disabled rule again"),
    ):
        sub.add_parser(name, help=text).add_argument("rule_id", metavar="ID")
    sub.choices["disable"].add_argument(
        "--for",
        dest="duration",
        metavar="DURATION",
        help="only for a while (30m, 2h): held in the local daemon's memory, not in config",
    )
    enforce = sub.add_parser("enforce", help="set a rule's enforcement level in the user config")
    enforce.add_argument("rule_id", metavar="ID")
    enforce.add_argument("--level", required=True, choices=LEVELS)


def run(args: argparse.Namespace) -> int:
    from vectimus.core.catalog import suggestion
    from vectimus.core.config import edit

    found = catalog("rule")
    if isinstance(found, int):
        return found
    if args.rule_command == "list":
        return _list(found)
    rule_id = args.rule_id
    view = found.rules.get(rule_id)
    if view is None:
        return fail("rule", f"unknown rule id {rule_id!r}{suggestion(rule_id, found.rules)}")
    if args.rule_command == "show":
        return _show(found, rule_id)
    if args.rule_command == "disable" and args.duration:
        from vectimus.cli.daemon_cmd import disable_for

        return disable_for(rule_id, args.duration)
    if args.rule_command == "disable":
        result = edit_user_config(
            "rule", lambda d: edit.add_to_list(d, "rules", "disabled", rule_id)
        )
        done = f"disabled {rule_id}"
        same = f"{rule_id} is already disabled"
    elif args.rule_command == "enable":
        result = edit_user_config(
            "rule", lambda d: edit.remove_from_list(d, "rules", "disabled", rule_id)
        )
        done = f"enabled {rule_id}"
        same = f"{rule_id} is not disabled in the user config"
    else:
        level = args.level
        current = view.effective

        def change(document: edit.Document) -> bool:
            if edit.enforcement(document).get(rule_id) is None and view.rule.enforcement == level:
                return False
            return edit.set_enforcement(document, rule_id, level)

        result = edit_user_config("rule", change)
        done = f"{rule_id} now enforces {level} (was {current})"
        same = f"{rule_id} already enforces {level}"
    if isinstance(result, int):
        return result
    path, changed = result
    print(f"{done} in {path}" if changed else f"{same}: no change")
    if args.rule_command == "enable" and view.pack_disabled:
        print(
            f"note: its pack {view.rule.pack} is disabled (vectimus pack enable {view.rule.pack})"
        )
    return 0


def _list(found: Catalog) -> int:
    rows = [
        (
            view.rule.id,
            view.rule.pack,
            view.effective if view.active else "off",
            view.rule.description,
        )
        for view in sorted(found.rules.values(), key=lambda v: (v.rule.pack, v.rule.id))
    ]
    widths = [
        max(len(row[i]) for row in [("ID", "PACK", "ENFORCEMENT", ""), *rows]) for i in range(3)
    ]
    print(f"{'ID':<{widths[0]}}  {'PACK':<{widths[1]}}  {'ENFORCEMENT':<{widths[2]}}  DESCRIPTION")
    for rule_id, pack, level, description in rows:
        print(f"{rule_id:<{widths[0]}}  {pack:<{widths[1]}}  {level:<{widths[2]}}  {description}")
    return 0


def _show(found: Catalog, rule_id: str) -> int:
    view = found.rules[rule_id]
    rule = view.rule
    status = "enabled"
    if view.disabled:
        status = "disabled (rules.disabled)"
    elif view.pack_disabled:
        status = f"disabled (pack {rule.pack} is disabled)"
    fields = [
        ("id", rule.id),
        ("pack", f"{rule.pack} {found.compiled.packs.get(rule.pack, '')}".rstrip()),
        ("where", f"{rule.file}:{rule.line}"),
        ("description", rule.description),
        ("suggested_alternative", rule.suggested_alternative),
        ("incident", rule.incident),
        ("controls", ", ".join(rule.controls)),
        ("enforcement", rule.enforcement),
        ("effective", view.effective),
        ("status", status),
        ("actions", ", ".join(rule.actions)),
    ]
    for name, value in fields:
        print(f"{name + ':':<23}{value or '-'}")
    return 0
