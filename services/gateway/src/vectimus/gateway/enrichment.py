"""Client enrichment: facts the hook shim adds that the gateway cannot see for itself.

The shim sends them as a top-level ``"vectimus_enrichment"`` object of strings in the JSON
body, next to the tool's own payload members (hostname, principal, repository, branch,
script_path, script_content, script_truncated). The gateway takes the object out, so the
evaluator sees the payload exactly as the tool sent it, and passes the string members on as
``EvalRequest.enrichment``. A malformed object (not an object, members that are not strings)
loses only what is malformed: enrichment can add facts that lead to a deny, and its absence
or damage never removes one.
"""

from __future__ import annotations

from typing import Any

import msgspec

ENRICHMENT_KEY = "vectimus_enrichment"
MAX_MEMBERS = 32


def split_enrichment(payload: dict[str, Any], body: bytes) -> tuple[dict[str, str], bytes]:
    """(the enrichment, the payload bytes without it). ``payload`` is the decoded ``body``."""
    if ENRICHMENT_KEY not in payload:
        return {}, body
    raw = payload.pop(ENRICHMENT_KEY)
    facts: dict[str, str] = {}
    if isinstance(raw, dict):
        for key, value in raw.items():
            if isinstance(value, str) and len(facts) < MAX_MEMBERS:
                facts[key] = value
    return facts, msgspec.json.encode(payload)
