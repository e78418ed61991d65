"""Only a 200 that parses as a decision counts; everything else is a GatewayUnavailable."""

from __future__ import annotations

import json

import pytest

from vectimus.client.gateway import GatewayUnavailable, _parse_response, parse_verdict, split_url

GOOD = {
    "decision": "deny",
    "reason": "Vectimus blocked this: [x] y. Receipt: r1",
    "suggested_alternative": "",
    "matched_policy_ids": ["x"],
    "receipt_id": "r1",
    "evaluation_time_ms": 0.4,
}


class TestParseVerdict:
    @pytest.mark.parametrize("kind", ["allow", "deny", "escalate"])
    def test_valid(self, kind: str) -> None:
        verdict = parse_verdict(200, json.dumps({**GOOD, "decision": kind}).encode())
        assert (verdict.kind, verdict.receipt_id, verdict.matched) == (kind, "r1", ["x"])

    def test_extra_members_are_fine(self) -> None:
        body = {**GOOD, "hookSpecificOutput": {"permissionDecision": "deny"}, "degraded": True}
        assert parse_verdict(200, json.dumps(body).encode()).kind == "deny"

    @pytest.mark.parametrize(
        ("status", "body"),
        [
            (500, json.dumps(GOOD).encode()),
            (401, b'{"error": "missing-api-key"}'),
            (201, json.dumps(GOOD).encode()),
            (200, b"<html>ok</html>"),
            (200, b""),
            (200, b"[]"),
            (200, b'"allow"'),
            (200, json.dumps({**GOOD, "decision": "ALLOW"}).encode()),
            (200, json.dumps({**GOOD, "decision": "maybe"}).encode()),
            (200, json.dumps({"decision": "allow"}).encode()),
            (200, json.dumps({**GOOD, "reason": None}).encode()),
            (200, json.dumps({**GOOD, "receipt_id": ""}).encode()),
            (200, json.dumps({**GOOD, "receipt_id": 7}).encode()),
            (200, json.dumps({**GOOD, "matched_policy_ids": "x"}).encode()),
            (200, json.dumps({**GOOD, "matched_policy_ids": [1]}).encode()),
        ],
    )
    def test_anything_else_is_unavailable(self, status: int, body: bytes) -> None:
        with pytest.raises(GatewayUnavailable):
            parse_verdict(status, body)


class TestHttp:
    def test_content_length(self) -> None:
        data = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}trailing"
        assert _parse_response(data) == (200, b"{}")

    def test_chunked(self) -> None:
        data = b'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\n{"a\r\n4;x=1\r\n": 1\r\n1\r\n}\r\n0\r\n\r\n'
        assert _parse_response(data) == (200, b'{"a": 1}')

    @pytest.mark.parametrize(
        "data",
        [
            b"",
            b"garbage",
            b"HTTP/1.1 OK\r\n\r\n",
            b"HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\n{}",
        ],
    )
    def test_broken(self, data: bytes) -> None:
        with pytest.raises(GatewayUnavailable):
            _parse_response(data)

    @pytest.mark.parametrize(
        ("url", "parts"),
        [
            ("http://127.0.0.1:8420", ("http", "127.0.0.1", 8420, "")),
            ("https://gw.example.com/", ("https", "gw.example.com", 443, "")),
            ("https://gw.example.com/vectimus/", ("https", "gw.example.com", 443, "/vectimus")),
            ("http://[::1]:9000/x", ("http", "::1", 9000, "/x")),
            ("HTTP://user@host", ("http", "host", 80, "")),
        ],
    )
    def test_split_url(self, url: str, parts: tuple[str, str, int, str]) -> None:
        assert split_url(url) == parts

    @pytest.mark.parametrize("url", ["ftp://x", "gw.example.com", "http://", "http://h:port"])
    def test_bad_url(self, url: str) -> None:
        with pytest.raises(GatewayUnavailable):
            split_url(url)
