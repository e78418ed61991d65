"""Hostile text for the fuzz tests, and how long they run.

``make test`` runs each property for a bounded number of examples; ``make fuzz`` sets
VECTIMUS_FUZZ_EXAMPLES to run the same properties for much longer.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

# Every property parses hostile input: examples vary in cost, so there is no per-example
# deadline (the scaling tests check cost) and slow generation is expected. Fixtures such as
# a temporary home are shared by a test's examples on purpose: each example rewrites what
# it reads.
FUZZ = settings(
    max_examples=int(os.environ.get("VECTIMUS_FUZZ_EXAMPLES", "60")),
    deadline=None,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.function_scoped_fixture,
    ],
)

_SHELL_PIECES = [
    *"rm -f/~$(){}[]`'\"\\|&;<>*?!#=\n\t\x00",
    "<<", "<<-EOF", "EOF", "bash -c ", "sh -c '", "eval ", "$'\\x72'", "${IFS}", "${x:-/}",
    "$(", "`", "\\\n", "'\\''", "\"$(\"", "IFS=,", "alias a=", "f(){ ", "; }", " | ",
    " && ", " || ", "cd / && ", "> /tmp/x", "sh /tmp/x", "xargs ", "<<<", "docker exec c ",
    "ssh h ", "python3 -c \"", "os.system(", "awk '", "system(\"", "powershell -c ",
    "Remove-Item C:\\", "\u2013Recurse", "\uff52\uff4d", "\u200b", "\ud800", "\U0001f600",
    "\u0440", "cat .e?v", "~/.ss?/", "$PWD", "$1", "\"$@\"", "set -- ", "git -c core.pager=",
]  # fmt: skip

shell_like = st.lists(st.sampled_from(_SHELL_PIECES), max_size=60).map("".join)
any_text = st.text(max_size=400)
hostile_text = st.one_of(shell_like, any_text)
