"""What every route needs: the core of this worker, the caller's identity, the request id."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from litestar.connection import ASGIConnection
from litestar.handlers.base import BaseRouteHandler

from vectimus.gateway.auth import AuthResult
from vectimus.gateway.errors import ApiError
from vectimus.gateway.ids import new_request_id

if TYPE_CHECKING:
    from vectimus.gateway.core import GatewayCore

_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")


def core_of(connection: ASGIConnection[Any, Any, Any, Any]) -> GatewayCore:
    core: GatewayCore = connection.app.state.core
    return core


def request_id_from(given: str | None) -> str:
    """The caller's X-Request-ID when it is a sane token, else a new one."""
    if given and _REQUEST_ID.fullmatch(given):
        return given
    return new_request_id()


def authenticate(core: GatewayCore, headers: Mapping[str, str]) -> AuthResult:
    """The caller of a request with these (lower-case) headers, or a 401."""
    result = core.keys.check(headers.get("authorization"), headers.get("x-vectimus-key"))
    if result.caller is None:
        message = (
            "an API key is required"
            if result.problem == "missing-api-key"
            else "the API key is not valid"
        )
        raise ApiError(
            401,
            result.problem,
            message,
            hint="send it as 'Authorization: Bearer <key>' or 'X-Vectimus-Key: <key>'",
            headers={"WWW-Authenticate": 'Bearer realm="vectimus"'},
        )
    return result


async def require_key(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    """Guard: a configured API key, or a 401. The key's name becomes ``state.caller``."""
    result = authenticate(core_of(connection), connection.headers)
    connection.state.caller = result.caller
    connection.state.roles = result.roles
