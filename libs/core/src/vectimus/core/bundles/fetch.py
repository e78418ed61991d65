"""Getting a bundle's bytes from a file or an HTTP(S) URL, with ETag / If-None-Match.

A poll that finds nothing new costs one request and no download: the server answers
``304 Not Modified`` to the ETag of the last bundle fetched. Nothing fetched is trusted
because of where it came from; it is verified like any other bundle.
"""

from __future__ import annotations

import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from vectimus.core.bundles.format import MAX_BUNDLE_BYTES, BundleError

TIMEOUT_S = 10.0


@dataclass(frozen=True)
class Fetched:
    data: bytes | None
    """None: unchanged since the ETag that was sent."""
    etag: str = ""


def is_url(source: str) -> bool:
    return source.startswith(("http://", "https://"))


def origin_of(source: str) -> str:
    """How a source is recorded and shown: a URL without credentials or query, or an
    absolute path."""
    if is_url(source):
        parts = urllib.parse.urlsplit(source)
        host = parts.hostname or ""
        netloc = f"{host}:{parts.port}" if parts.port else host
        return urllib.parse.urlunsplit((parts.scheme, netloc, parts.path, "", ""))
    return str(Path(source).expanduser().resolve())


def _too_large() -> BundleError:
    return BundleError(f"the bundle is larger than {MAX_BUNDLE_BYTES // (1024 * 1024)} MiB")


def fetch(source: str, *, timeout_s: float = TIMEOUT_S) -> bytes:
    """The bundle at ``source`` (a path or a URL); BundleError naming the problem."""
    if is_url(source):
        return _get(source, "", timeout_s).data or b""
    path = Path(source).expanduser()
    try:
        with path.open("rb") as handle:
            data = handle.read(MAX_BUNDLE_BYTES + 1)
    except OSError as exc:
        raise BundleError(f"cannot read {path}: {exc.strerror or exc}") from None
    if len(data) > MAX_BUNDLE_BYTES:
        raise _too_large()
    return data


def fetch_if_changed(url: str, etag: str, *, timeout_s: float = TIMEOUT_S) -> Fetched:
    """The bundle at ``url`` unless its ETag is still ``etag`` (then ``data`` is None)."""
    return _get(url, etag, timeout_s)


def _get(url: str, etag: str, timeout_s: float) -> Fetched:
    headers = {"Accept": "application/json", "User-Agent": "vectimus-policy-update"}
    if etag:
        headers["If-None-Match"] = etag
    request = urllib.request.Request(url, headers=headers)  # noqa: S310 - http(s) only
    shown = origin_of(url)
    try:
        with urllib.request.urlopen(request, timeout=timeout_s) as answer:  # noqa: S310
            data = answer.read(MAX_BUNDLE_BYTES + 1)
            found = answer.headers.get("ETag", "")
    except urllib.error.HTTPError as exc:
        if exc.code == 304 and etag:
            return Fetched(None, etag)
        raise BundleError(f"{shown} answered {exc.code} {exc.reason}") from None
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise BundleError(f"cannot fetch {shown}: {reason}") from None
    if len(data) > MAX_BUNDLE_BYTES:
        raise _too_large()
    return Fetched(data, found)
