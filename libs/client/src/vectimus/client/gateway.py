"""Ask the team gateway (``POST /evaluate``) for a decision, over a raw socket.

``http.client`` with its ``email`` parser costs about 40 ms to import; one HTTP/1.1 request
with ``Connection: close`` is a few lines over the built-in ``_socket`` module. ``ssl`` is
imported only for an ``https://`` URL.

The gateway's answer is trusted only when it is a 200 whose body parses as a decision:
``decision`` one of allow, deny, escalate; ``reason`` a string; ``receipt_id`` a non-empty
string; ``matched_policy_ids`` (when present) a list of strings. Anything else (a refused
connection, a timeout, a 500, a 401, garbage) raises :class:`GatewayUnavailable`, and the shim
asks the next evaluator: never does a failure turn into an allow.
"""

from __future__ import annotations

import _socket
import time

from vectimus.client import fastjson

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

MAX_ANSWER = 1024 * 1024
DECISIONS = frozenset({"allow", "deny", "escalate"})


class GatewayUnavailable(Exception):  # noqa: N818 - it names a state, not a programming error
    """The gateway gave no answer the shim can trust; the message says why."""


class Verdict:
    """A gateway decision, validated."""

    __slots__ = ("kind", "matched", "reason", "receipt_id")

    def __init__(self, kind: str, reason: str, receipt_id: str, matched: list[str]) -> None:
        self.kind, self.reason, self.receipt_id, self.matched = kind, reason, receipt_id, matched


def split_url(url: str) -> tuple[str, str, int, str]:
    """(scheme, host, port, path prefix) of an http(s) URL; raises GatewayUnavailable."""
    scheme, sep, rest = url.strip().partition("://")
    scheme = scheme.lower()
    if not sep or scheme not in {"http", "https"}:
        raise GatewayUnavailable(f"server URL {url!r} is not http:// or https://")
    authority, slash, path = rest.partition("/")
    authority = authority.rpartition("@")[2]
    if authority.startswith("["):
        host, _, port_text = authority[1:].partition("]")
        port_text = port_text.removeprefix(":")
    else:
        host, _, port_text = authority.partition(":")
    default = 443 if scheme == "https" else 80
    try:
        port = int(port_text) if port_text else default
    except ValueError:
        raise GatewayUnavailable(f"server URL {url!r} has a bad port") from None
    if not host:
        raise GatewayUnavailable(f"server URL {url!r} names no host")
    return scheme, host, port, ("/" + path if slash else "").rstrip("/")


def _connect(scheme: str, host: str, port: int, timeout: float) -> Any:
    # An ASCII host goes as bytes: a str is encoded with the "idna" codec, whose import
    # (re, stringprep, unicodedata) costs about 5 ms.
    name: str | bytes = host.encode("ascii") if host.isascii() else host
    try:
        infos = _socket.getaddrinfo(name, port, 0, _socket.SOCK_STREAM)
    except OSError as exc:
        raise GatewayUnavailable(f"cannot resolve {host}: {exc}") from None
    last: Exception | None = None
    for family, kind, proto, _, address in infos:
        sock = _socket.socket(family, kind, proto)
        sock.settimeout(timeout)
        try:
            sock.connect(address)
        except OSError as exc:
            sock.close()
            last = exc
            continue
        if scheme == "https":
            import ssl

            context = ssl.create_default_context()
            return context.wrap_socket(sock, server_hostname=host)  # type: ignore[arg-type]
        return sock
    raise GatewayUnavailable(f"cannot connect to {host}:{port}: {last}")


def request(
    method: str, url: str, path: str, body: bytes, headers: dict[str, str], *, timeout: float
) -> tuple[int, bytes]:
    """``method`` ``body`` to ``url`` + ``path``; (status, body) of the answer."""
    scheme, host, port, prefix = split_url(url)
    default_port = port == (443 if scheme == "https" else 80)
    host_header = host if default_port else f"{host}:{port}"
    if ":" in host and not default_port:
        host_header = f"[{host}]:{port}"
    lines = [
        f"{method} {prefix}{path} HTTP/1.1",
        f"Host: {host_header}",
        "Content-Type: application/json",
        f"Content-Length: {len(body)}",
        "Connection: close",
        "User-Agent: vectimus-shim",
        *(f"{name}: {value}" for name, value in headers.items()),
    ]
    text = "\r\n".join(lines)
    if "\n" in text.replace("\r\n", "") or "\r" in text.replace("\r\n", ""):
        raise GatewayUnavailable("a header value contains a line break")
    request = (text + "\r\n\r\n").encode("latin-1") + body
    deadline = time.monotonic() + timeout
    sock = _connect(scheme, host, port, timeout)
    try:
        sock.sendall(request)
        chunks: list[bytes] = []
        size = 0
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise GatewayUnavailable(f"no answer from {host}:{port} within {timeout} s")
            sock.settimeout(remaining)
            chunk = sock.recv(65536)
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
            if size > MAX_ANSWER:
                raise GatewayUnavailable("the gateway's answer is too large")
    except OSError as exc:  # includes timeouts
        raise GatewayUnavailable(f"no answer from {host}:{port}: {exc}") from None
    finally:
        sock.close()
    return _parse_response(b"".join(chunks))


def _parse_response(data: bytes) -> tuple[int, bytes]:
    head, sep, body = data.partition(b"\r\n\r\n")
    if not sep:
        raise GatewayUnavailable("the gateway's answer is not HTTP")
    status_line, *header_lines = head.split(b"\r\n")
    parts = status_line.split(b" ", 2)
    if len(parts) < 2 or not parts[0].startswith(b"HTTP/1.") or not parts[1].isdigit():
        raise GatewayUnavailable("the gateway's answer is not HTTP")
    headers = {}
    for line in header_lines:
        name, _, value = line.partition(b":")
        headers[name.strip().lower()] = value.strip()
    if headers.get(b"transfer-encoding", b"").lower() == b"chunked":
        body = _dechunk(body)
    elif b"content-length" in headers:
        length = headers[b"content-length"]
        if not length.isdigit() or len(body) < int(length):
            raise GatewayUnavailable("the gateway's answer was cut short")
        body = body[: int(length)]
    return int(parts[1]), body


def _dechunk(data: bytes) -> bytes:
    out: list[bytes] = []
    position = 0
    while True:
        line_end = data.find(b"\r\n", position)
        if line_end < 0:
            raise GatewayUnavailable("the gateway's chunked answer was cut short")
        size_text = data[position:line_end].split(b";", 1)[0].strip()
        try:
            size = int(size_text, 16)
        except ValueError:
            raise GatewayUnavailable("the gateway's chunked answer is malformed") from None
        if size == 0:
            return b"".join(out)
        start = line_end + 2
        if len(data) < start + size:
            raise GatewayUnavailable("the gateway's chunked answer was cut short")
        out.append(data[start : start + size])
        position = start + size + 2


def parse_verdict(status: int, body: bytes) -> Verdict:
    """The decision in a gateway answer, or GatewayUnavailable saying what is wrong with it."""
    if status != 200:
        raise GatewayUnavailable(f"the gateway answered HTTP {status}")
    try:
        answer = fastjson.loads(body)
    except ValueError:
        raise GatewayUnavailable("the gateway's answer is not JSON") from None
    if not isinstance(answer, dict):
        raise GatewayUnavailable("the gateway's answer is not a JSON object")
    kind, reason = answer.get("decision"), answer.get("reason")
    receipt_id, matched = answer.get("receipt_id"), answer.get("matched_policy_ids", [])
    if kind not in DECISIONS:
        raise GatewayUnavailable(f"the gateway's answer has no valid decision ({kind!r})")
    if not isinstance(reason, str):
        raise GatewayUnavailable("the gateway's answer has no reason")
    if not isinstance(receipt_id, str) or not receipt_id:
        raise GatewayUnavailable("the gateway's answer has no receipt id")
    if not isinstance(matched, list) or not all(isinstance(m, str) for m in matched):
        raise GatewayUnavailable("the gateway's answer has malformed matched_policy_ids")
    return Verdict(kind, reason, receipt_id, matched)


def evaluate(url: str, source: str, body: bytes, *, api_key: str, timeout: float) -> Verdict:
    """Ask the gateway at ``url`` to decide ``body`` (the enriched hook payload)."""
    headers = {"X-Vectimus-Source": source}
    if api_key:
        headers["Authorization"] = f"Bearer {api_key}"
    status, answer = request("POST", url, "/evaluate", body, headers, timeout=timeout)
    return parse_verdict(status, answer)


def probe(url: str, *, timeout: float = 2.0) -> str:
    """ "" when the gateway's ``GET /healthz`` answers 200, else what went wrong."""
    try:
        status, _ = request("GET", url, "/healthz", b"", {}, timeout=timeout)
    except GatewayUnavailable as exc:
        return str(exc)
    return "" if status == 200 else f"GET /healthz answered HTTP {status}"
