"""GET /dashboard: the live governance page, three static files shipped in this package.

The page holds no data and no secret, so it is served without a key; everything it shows
comes from /events and /policies, which need the API key like any other client. There is no
build step and nothing is loaded from another origin, which is what lets the CSP below allow
``'self'`` only: no inline script or style, no frames, no form submissions (the key form is
handled by the script, so a broken script can never put the key in a URL).
"""

from __future__ import annotations

import hashlib
import html
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from litestar import Request, Response, get
from litestar.params import FromPath

from vectimus.core.normalise.registry import NORMALISERS
from vectimus.gateway.errors import ApiError

CSP = "; ".join(
    (
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "connect-src 'self'",
        "img-src 'self' data:",
        "base-uri 'none'",
        "form-action 'none'",
        "frame-ancestors 'none'",
    )
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
    # Revalidate every load (cheap: a 304 by ETag), so an upgraded gateway serves its page.
    "Cache-Control": "no-cache",
}
_MEDIA_TYPES = {
    "index.html": "text/html",
    "app.js": "text/javascript",
    "style.css": "text/css",
}
_SOURCES_MARK = b"<!-- sources -->"


@dataclass(frozen=True)
class Asset:
    body: bytes
    media_type: str
    etag: str


def _source_options() -> bytes:
    """The source filter's suggestions, from the normaliser registry so they never go stale."""
    return "".join(f'<option value="{html.escape(name)}">' for name in NORMALISERS).encode()


@cache
def assets() -> dict[str, Asset]:
    """The page's files, read from the package once per worker."""
    folder = resources.files("vectimus.gateway") / "dashboard"
    found: dict[str, Asset] = {}
    for name, media_type in _MEDIA_TYPES.items():
        body = (folder / name).read_bytes()
        if name == "index.html":
            body = body.replace(_SOURCES_MARK, _source_options())
        etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
        found[name] = Asset(body, media_type, etag)
    return found


def _serve(request: Request[Any, Any, Any], name: str) -> Response[bytes]:
    asset = assets().get(name)
    if asset is None:
        raise ApiError(404, "not-found", f"the dashboard has no file {name[:64]!r}")
    headers = {**SECURITY_HEADERS, "ETag": asset.etag}
    if request.headers.get("if-none-match") == asset.etag:
        return Response(content=b"", status_code=304, headers=headers)
    return Response(content=asset.body, media_type=asset.media_type, headers=headers)


@get("/dashboard")
async def dashboard(request: Request[Any, Any, Any]) -> Response[bytes]:
    return _serve(request, "index.html")


@get("/dashboard/{name:str}")
async def dashboard_asset(request: Request[Any, Any, Any], name: FromPath[str]) -> Response[bytes]:
    if name == "index.html":  # one address for the page, so relative links cannot differ
        raise ApiError(404, "not-found", "the dashboard is served at /dashboard")
    return _serve(request, name)
