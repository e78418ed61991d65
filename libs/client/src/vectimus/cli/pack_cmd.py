"""`vectimus pack list | enable NAME | disable NAME`.

Changes go to the user-level config (~/.vectimus/config.toml, policies.disabled_packs) only.
"""

from __future__ import annotations

import argparse

from vectimus.cli.manage import catalog, edit_user_config, fail


def configure(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="pack_command", metavar="ACTION", required=True)
    sub.add_parser("list", help="every pack: name, version, rules, status, description")
    sub.add_parser("enable", help="load a disabled pack again").add_argument("name", metavar="NAME")
    sub.add_parser("disable", help="stop loading a pack").add_argument("name", metavar="NAME")


def run(args: argparse.Namespace) -> int:
    from vectimus.core.catalog import suggestion
    from vectimus.core.config import edit

    found = catalog("pack")
    if isinstance(found, int):
        return found
    if args.pack_command == "list":
        rows = [
            (
                p.name,
                p.version,
                str(p.rules),
                "disabled" if p.disabled else "enabled",
                p.description,
            )
            for p in sorted(found.packs.values(), key=lambda p: p.name)
        ]
        head = ("NAME", "VERSION", "RULES", "STATUS", "DESCRIPTION")
        widths = [max(len(row[i]) for row in [head, *rows]) for i in range(4)]
        for row in [head, *rows]:
            print(
                "  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row[:4])) + "  " + row[4]
            )
        return 0
    name = args.name
    if name not in found.packs:
        return fail("pack", f"unknown pack {name!r}{suggestion(name, found.packs)}")
    if args.pack_command == "disable":
        result = edit_user_config(
            "pack", lambda d: edit.add_to_list(d, "policies", "disabled_packs", name)
        )
        done, same = f"disabled pack {name}", f"pack {name} is already disabled"
    else:
        result = edit_user_config(
            "pack", lambda d: edit.remove_from_list(d, "policies", "disabled_packs", name)
        )
        done, same = f"enabled pack {name}", f"pack {name} is not disabled in the user config"
    if isinstance(result, int):
        return result
    path, changed = result
    print(f"{done} in {path}" if changed else f"{same}: no change")
    return 0
