"""Baseline apps for bench_server.py, served by the same granian as the gateway.

``trivial``: a Litestar handler that answers a constant: what HTTP and the framework cost.
``in_process``: the evaluator service's own decision code, run in the request handler, with
no bus and no trail: what the distributed gateway is compared against.
"""

from __future__ import annotations

import os
import time
from typing import Any

import msgspec
from litestar import Litestar, Request, Response, post

_encode = msgspec.json.Encoder().encode


def trivial() -> Litestar:
    body = _encode({"decision": "allow", "reason": "trivial"})

    @post("/evaluate", status_code=200)
    async def evaluate(request: Request[Any, Any, Any]) -> Response[bytes]:
        await request.body()
        return Response(content=body, media_type="application/json")

    return Litestar(route_handlers=[evaluate], openapi_config=None, logging_config=None)


def in_process() -> Litestar:
    from vectimus.core.bus.messages import EvalRequest
    from vectimus.evaluator.handler import answer
    from vectimus.evaluator.main import evaluation_of
    from vectimus.gateway.policies import load_runtime

    evaluation = evaluation_of(load_runtime(dict(os.environ)), "bench")
    counter = iter(range(1 << 62))

    @post("/evaluate", status_code=200)
    async def evaluate(request: Request[Any, Any, Any]) -> Response[bytes]:
        number = next(counter)
        request_id = f"bench-{number}"
        eval_request = EvalRequest(
            request_id=request_id,
            reply_to="vectimus:reply:bench",
            source=request.headers.get("x-vectimus-source", "claude-code"),
            payload=await request.body(),
        )
        found = answer(eval_request, f"{int(time.time() * 1000)}-{number}", evaluation)
        decision = found.reply.decision
        return Response(
            content=_encode(
                {
                    "decision": decision.decision,
                    "reason": decision.reason,
                    "matched_policy_ids": decision.matched_policy_ids,
                    "receipt_id": decision.receipt_id,
                }
            ),
            media_type="application/json",
        )

    return Litestar(route_handlers=[evaluate], openapi_config=None, logging_config=None)
