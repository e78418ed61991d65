"""A real local HTTP server that plays the three approvers: webhook, Slack and PagerDuty.

Each message is checked as it arrives: the webhook's HMAC-SHA256 signature (over
``<timestamp>.<body>``, with the shared secret), Slack's incoming-webhook shape, and the
PagerDuty Events API v2 shape. What does not pass is kept in ``problems``; a test asserts
there are none. An endpoint can be told to fail (answer 500), to test notification failures.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

SECRET = "receiver-secret-0123456789abcdef"
ESCALATION_KEYS = {
    "type", "receipt_id", "rule", "rules", "reason", "action_type", "summary", "action",
    "content", "principal", "source", "session_id", "caller", "opened_at", "expires_at",
    "approval_url", "callback",
}  # fmt: skip


@dataclass
class Message:
    kind: str  # webhook | slack | pagerduty
    headers: dict[str, str]
    body: dict[str, Any]


def check_escalation(facts: dict[str, Any]) -> list[str]:
    problems = []
    missing = ESCALATION_KEYS - set(facts)
    if missing:
        problems.append(f"escalation facts lack {sorted(missing)}")
    callback = facts.get("callback", {})
    if callback.get("method") != "POST" or not str(callback.get("url", "")).endswith(
        f"/approvals/{facts.get('receipt_id')}"
    ):
        problems.append(f"bad callback {callback!r}")
    return problems


def check_webhook(headers: dict[str, str], raw: bytes, secret: str) -> list[str]:
    stamp = headers.get("x-vectimus-timestamp", "")
    given = headers.get("x-vectimus-signature", "")
    mac = hmac.new(secret.encode(), stamp.encode() + b"." + raw, hashlib.sha256).hexdigest()
    problems = []
    if not stamp.isdigit() or abs(time.time() - int(stamp)) > 300:
        problems.append(f"webhook timestamp {stamp!r} is missing or stale")
    if not hmac.compare_digest(given, "sha256=" + mac):
        problems.append("webhook signature does not verify")
    return problems + check_escalation(json.loads(raw))


def check_slack(body: dict[str, Any]) -> list[str]:
    problems = []
    if not isinstance(body.get("text"), str) or not body["text"]:
        problems.append("slack message has no text")
    blocks = body.get("blocks")
    if not isinstance(blocks, list) or not all(isinstance(b, dict) and "type" in b for b in blocks):
        problems.append("slack blocks are not a list of typed blocks")
    elif not any("approvals/" in json.dumps(b) for b in blocks):
        problems.append("slack message has no approval link")
    return problems


def check_pagerduty(body: dict[str, Any]) -> list[str]:
    problems = []
    if body.get("event_action") not in ("trigger", "resolve"):
        problems.append(f"pagerduty event_action {body.get('event_action')!r}")
    if not body.get("routing_key") or not body.get("dedup_key"):
        problems.append("pagerduty event lacks routing_key or dedup_key")
    if body.get("event_action") == "trigger":
        payload = body.get("payload", {})
        for key in ("summary", "source", "severity"):
            if not payload.get(key):
                problems.append(f"pagerduty payload lacks {key}")
        if payload.get("severity") not in ("critical", "error", "warning", "info"):
            problems.append(f"pagerduty severity {payload.get('severity')!r}")
        if len(payload.get("summary", "")) > 1024:
            problems.append("pagerduty summary is over 1024 characters")
        problems += check_escalation(payload.get("custom_details", {}))
    return problems


@dataclass
class Receiver:
    secret: str = SECRET
    messages: list[Message] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    failing: set[str] = field(default_factory=set)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _server: ThreadingHTTPServer | None = None

    def start(self) -> Receiver:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                kind = self.path.strip("/")
                raw = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                headers = {k.lower(): v for k, v in self.headers.items()}
                receiver.take(kind, headers, raw)
                status = 500 if kind in receiver.failing else 202 if kind == "pagerduty" else 200
                body = b'{"status": "success"}' if kind == "pagerduty" else b"ok"
                self.send_response(status)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *_: Any) -> None:
                return

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def take(self, kind: str, headers: dict[str, str], raw: bytes) -> None:
        try:
            body = json.loads(raw)
        except ValueError:
            body, problems = {}, [f"{kind}: body is not JSON"]
        else:
            problems = {
                "webhook": lambda: check_webhook(headers, raw, self.secret),
                "slack": lambda: check_slack(body),
                "pagerduty": lambda: check_pagerduty(body),
            }.get(kind, lambda: [f"unknown endpoint /{kind}"])()
        with self._lock:
            self.messages.append(Message(kind, headers, body))
            self.problems.extend(f"{kind}: {p}" for p in problems)

    @property
    def base(self) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def url(self, kind: str) -> str:
        return f"{self.base}/{kind}"

    def environ(self) -> dict[str, str]:
        """The VECTIMUS_* variables that point a gateway's approvers here."""
        return {
            "VECTIMUS_APPROVAL_WEBHOOK_URL": self.url("webhook"),
            "VECTIMUS_APPROVAL_WEBHOOK_SECRET": self.secret,
            "VECTIMUS_SLACK_WEBHOOK_URL": self.url("slack"),
            "VECTIMUS_PAGERDUTY_ROUTING_KEY": "routing-key-test",
            "VECTIMUS_PAGERDUTY_URL": self.url("pagerduty"),
        }

    def of(self, kind: str) -> list[Message]:
        with self._lock:
            return [m for m in self.messages if m.kind == kind]

    def escalated(self, session_id: str = "", timeout_s: float = 15.0) -> str:
        """The receipt id of the first escalation the webhook was told about (of
        ``session_id``, when given)."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            for message in self.of("webhook"):
                if not session_id or message.body.get("session_id") == session_id:
                    return str(message.body["receipt_id"])
            time.sleep(0.02)
        raise AssertionError(f"no escalation of session {session_id!r} reached the webhook")

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
