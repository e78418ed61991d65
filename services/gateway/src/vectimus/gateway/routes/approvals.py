"""``/approvals/{receipt_id}``: approvers look at a held escalation and settle it.

Both need an API key with the approver role (403 without it): the key an agent's hook uses
has no role unless one is given, so an agent cannot approve what it escalated. Any gateway
replica answers, whichever one holds the call.

``POST`` with ``{"decision": "allow" | "deny", "approver": "...", "note": "..."}``:

- 200: settled; the body names the settling receipt and what the held call is answered.
- 404 ``unknown-escalation``: nothing is held under that id (or it was forgotten, a day on).
- 409 ``escalation-timed-out``: it came after the deadline; the call was denied, and this
  changes nothing. 409 ``already-decided``: someone else settled it first.
"""

from __future__ import annotations

from typing import Any, Literal

import msgspec
from litestar import Request, Response, get, post
from litestar.params import FromPath

from vectimus.core.receipts.ids import SAFE_ID_PATTERN, new_receipt_id
from vectimus.gateway.approvals.hold import ruled
from vectimus.gateway.approvals.store import Resolution, Ruling
from vectimus.gateway.errors import JSON, ApiError
from vectimus.gateway.routes.common import core_of, require_key

APPROVER = "approver"


class ApprovalBody(msgspec.Struct, forbid_unknown_fields=True):
    decision: Literal["allow", "deny"]
    approver: str
    note: str = ""


_decode = msgspec.json.Decoder(ApprovalBody).decode
_encode = msgspec.json.Encoder().encode


def _approver_only(request: Request[Any, Any, Any]) -> str:
    """The approving key's name; 403 for a key without the approver role."""
    if APPROVER not in request.state.roles:
        raise ApiError(
            403,
            "not-an-approver",
            f"the API key {request.state.caller!r} does not have the approver role",
            hint='approvals need a key with roles = ["approver"] (name:key:approver in '
            "VECTIMUS_API_KEYS)",
        )
    caller: str = request.state.caller
    return caller


def _receipt_id(receipt_id: str) -> str:
    if SAFE_ID_PATTERN.fullmatch(receipt_id) is None:
        raise ApiError(404, "unknown-escalation", "no escalation is held under that id")
    return receipt_id


def _body(raw: bytes) -> ApprovalBody:
    try:
        body = _decode(raw)
    except (msgspec.DecodeError, msgspec.ValidationError) as exc:
        raise ApiError(
            400,
            "bad-approval",
            f"the approval is not valid: {exc}",
            hint='send {"decision": "allow" | "deny", "approver": "<name>", "note": "<why>"}',
        ) from None
    if not body.approver.strip() or len(body.approver) > 128 or not body.approver.isprintable():
        raise ApiError(400, "bad-approval", "'approver' must be a printable name of 1 to 128 chars")
    if len(body.note) > 500:
        raise ApiError(400, "bad-approval", "'note' must be at most 500 characters")
    return body


def _refused(receipt_id: str, resolution: Resolution) -> ApiError:
    ruling = resolution.ruling
    if resolution.outcome == "unknown" or ruling is None:
        return ApiError(404, "unknown-escalation", f"no escalation is held under {receipt_id}")
    if ruling.status == "timeout":
        return ApiError(
            409,
            "escalation-timed-out",
            f"escalation {receipt_id} was not decided in time and the call was denied "
            f"(receipt {ruling.receipt_id}); this approval changes nothing",
            extra={"status": "timeout", "receipt_id": ruling.receipt_id},
        )
    return ApiError(
        409,
        "already-decided",
        f"escalation {receipt_id} was already decided ({ruling.status} by {ruling.approver}, "
        f"receipt {ruling.receipt_id}); this approval changes nothing",
        extra={"status": ruling.status, "receipt_id": ruling.receipt_id},
    )


@post("/approvals/{receipt_id:str}", guards=[require_key], status_code=200)
async def approve(request: Request[Any, Any, Any], receipt_id: FromPath[str]) -> Response[bytes]:
    key = _approver_only(request)
    held = _receipt_id(receipt_id)
    body = _body(await request.body())
    core = core_of(request)
    wanted = Ruling(
        status=body.decision,
        approver=body.approver.strip(),
        approver_key=key,
        note=body.note.strip(),
        receipt_id=new_receipt_id(),
    )
    try:
        resolution = await core.escalations.settle(held, wanted)
    except Exception as exc:  # noqa: BLE001 - whatever the store raised, the approver is told
        raise ApiError(
            503, "approvals-unavailable", f"the approval store cannot be reached ({exc})"
        ) from None
    if resolution.outcome != "resolved" or resolution.pending is None:
        raise _refused(held, resolution)
    decision = ruled(resolution.pending, resolution.ruling or wanted)
    answer = {
        "status": body.decision,
        "escalation_of": held,
        "receipt_id": decision.receipt_id,
        "decision": decision.decision,
        "reason": decision.reason,
    }
    return Response(content=_encode(answer), media_type=JSON)


@get("/approvals/{receipt_id:str}", guards=[require_key])
async def show(request: Request[Any, Any, Any], receipt_id: FromPath[str]) -> Response[bytes]:
    """What a link in a notification opens: the held call's state (no payload)."""
    _approver_only(request)
    held = _receipt_id(receipt_id)
    core = core_of(request)
    try:
        found, ruling = await core.escalations.store.peek(held)
    except Exception as exc:  # noqa: BLE001 - whatever the store raised, the approver is told
        raise ApiError(
            503, "approvals-unavailable", f"the approval store cannot be reached ({exc})"
        ) from None
    if not found:
        raise ApiError(404, "unknown-escalation", f"no escalation is held under {held}")
    body: dict[str, Any] = {"receipt_id": held, "status": "pending"}
    if ruling is not None:
        body.update(
            status=ruling.status,
            approver=ruling.approver,
            note=ruling.note,
            settled_by=ruling.receipt_id,
        )
    return Response(content=_encode(body), media_type=JSON)
