"""GET /policies: every rule in force, with the pack versions and the policy-set hash."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Request, Response, get

from vectimus.gateway.errors import JSON, ApiError
from vectimus.gateway.routes.common import core_of, require_key

_cache: dict[str, bytes] = {}


def policies_body(core: Any) -> bytes:
    runtime = core.policies.runtime
    if runtime is None:
        raise ApiError(
            503,
            "no-policies",
            "no policy set is loaded",
            hint=core.policies.error or "see the gateway log",
        )
    compiled = runtime.snapshot.compiled
    key = f"{id(runtime)}:{compiled.policy_set_hash}"
    cached = _cache.get(key)
    if cached is None:
        rules = [
            {
                "id": rule.id,
                "description": rule.description,
                "pack": rule.pack,
                "enforcement": rule.enforcement,
                "incident": rule.incident,
                "controls": list(rule.controls),
                "suggested_alternative": rule.suggested_alternative,
                "actions": list(rule.actions),
            }
            for rule in sorted(runtime.pipeline.engine.rules.values(), key=lambda r: r.id)
        ]
        cached = msgspec.json.encode(
            {
                "policy_set_hash": compiled.policy_set_hash,
                # Where the set came from; for a bundle, who signed it (docs/bundles.md).
                "source": runtime.snapshot.policy_source.describe(),
                "loaded_at": core.policies.loaded_at,
                "packs": dict(sorted(compiled.packs.items())),
                "rule_count": len(rules),
                "observe": runtime.pipeline.engine.observe or core.settings.observe,
                "rules": rules,
            }
        )
        _cache.clear()
        _cache[key] = cached
    return cached


@get("/policies", guards=[require_key])
async def policies(request: Request[Any, Any, Any]) -> Response[bytes]:
    return Response(content=policies_body(core_of(request)), media_type=JSON)
