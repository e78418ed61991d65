"""HTTP errors: one exception type, one handler, one JSON shape.

Every refusal is ``{"error": <stable code>, "message": ..., "hint": ...}`` (plus fields a code
needs, such as ``valid_sources``), so clients branch on ``error`` and people read ``message``.
"""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Request, Response
from litestar.exceptions import HTTPException

JSON = "application/json"

# Litestar's own HTTP errors (limits, routing) mapped to our codes.
_CODES = {
    400: "bad-request",
    401: "unauthorized",
    404: "not-found",
    405: "method-not-allowed",
    413: "payload-too-large",
    415: "unsupported-media-type",
}


class ApiError(Exception):
    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        *,
        hint: str = "",
        extra: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.hint = hint
        self.extra = extra or {}
        self.headers = headers or {}

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {"error": self.code, "message": self.message}
        if self.hint:
            body["hint"] = self.hint
        body.update(self.extra)
        return body


def error_response(error: ApiError) -> Response[bytes]:
    return Response(
        content=msgspec.json.encode(error.body()),
        status_code=error.status,
        media_type=JSON,
        headers=error.headers,
    )


def handle_api_error(request: Request[Any, Any, Any], exc: ApiError) -> Response[bytes]:
    core = getattr(request.app.state, "core", None)
    if core is not None:
        core.metrics.reject(exc.code)
    return error_response(exc)


def handle_http_exception(request: Request[Any, Any, Any], exc: HTTPException) -> Response[bytes]:
    status = exc.status_code
    code = _CODES.get(status, "server-error" if status >= 500 else "http-error")
    message = str(exc.detail) if exc.detail else code
    hint = ""
    if status == 413:
        core = getattr(request.app.state, "core", None)
        limit = core.settings.max_body_bytes if core is not None else 0
        message = f"the request body is larger than the limit of {limit} bytes"
        hint = "raise server.max_body_bytes (VECTIMUS_MAX_BODY_BYTES) if such payloads are expected"
    error = ApiError(status, code, message, hint=hint, headers=dict(exc.headers or {}))
    return handle_api_error(request, error)
