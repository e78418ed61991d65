"""The rule table of docs/policies.md, generated from the packs so it stays true.

``python -m tests.packs.rules_table`` rewrites the table between its markers in the doc;
the test suite fails when the doc and the packs disagree.
"""

from __future__ import annotations

import sys
from pathlib import Path

from vectimus.core.engine.compile import (
    compile_policies,
    load_policy_dirs,
    pack_dirs,
    read_pack_info,
)

REPO = Path(__file__).resolve().parents[2]
DOC = REPO / "docs" / "policies.md"
START, END = "<!-- rules:start -->", "<!-- rules:end -->"


def rules_table(policies: Path = REPO / "policies") -> str:
    compiled = compile_policies(load_policy_dirs([policies]))
    out: list[str] = []
    for pack in pack_dirs(policies):
        name, version, description = read_pack_info(pack)
        rules = sorted((r for r in compiled.rules.values() if r.pack == name), key=lambda r: r.id)
        out.append(f"### {name} {version} ({len(rules)} rules)\n")
        out.append(f"{description}.\n")
        out.append("| rule | enforcement | what it matches |")
        out.append("|---|---|---|")
        for rule in rules:
            text = rule.description.replace("|", "\\|")
            out.append(f"| `{rule.id}` | {rule.enforcement} | {text} |")
        out.append("")
    return "\n".join(out).rstrip() + "\n"


def current_table(doc: str) -> str:
    start, end = doc.index(START) + len(START), doc.index(END)
    return doc[start:end].strip("\n") + "\n"


def main() -> int:
    doc = DOC.read_text(encoding="utf-8")
    start, end = doc.index(START) + len(START), doc.index(END)
    DOC.write_text(doc[:start] + "\n" + rules_table() + doc[end:], encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
