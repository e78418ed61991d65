"""Sending the approvers their messages: one POST each, at the same time, each bounded.

A failed notification is logged and reported, never raised: the call is still held (another
approver may have been reached) and the timeout still denies it. When no approver at all
could be reached, the hold ends at once with a deny, since nobody is going to answer.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Sequence
from typing import Any

import httpx
import structlog

from vectimus.core.audit.redact import SecretPattern
from vectimus.core.escalation import EscalationSettings
from vectimus.gateway.approvals import messages
from vectimus.gateway.approvals.store import PendingApproval

log = structlog.get_logger("vectimus.gateway.approvals")

SEND_TIMEOUT_S = 5.0
_JSON = {"Content-Type": "application/json", "User-Agent": "vectimus-gateway"}


def _body(data: dict[str, Any]) -> bytes:
    return json.dumps(data, separators=(",", ":"), ensure_ascii=False).encode()


class Notifier:
    """Knows the configured approvers; builds and sends what each of them gets."""

    def __init__(
        self,
        settings: EscalationSettings,
        *,
        public_url: str,
        timeout_s: float = SEND_TIMEOUT_S,
    ) -> None:
        self.settings = settings
        self.public_url = public_url
        self.timeout_s = timeout_s

    async def escalated(
        self, pending: PendingApproval, opened_ms: int, patterns: Sequence[SecretPattern]
    ) -> list[str]:
        """Tell every approver; the failures, one line each (empty when all were reached).
        ``patterns`` redact the action before it leaves (the audit log's)."""
        facts = messages.escalation(
            pending, public_url=self.public_url, opened_ms=opened_ms, patterns=patterns
        )
        sends: list[tuple[str, str, bytes, dict[str, str]]] = []
        settings = self.settings
        if settings.webhook is not None:
            body = _body(facts)
            stamp = str(int(time.time()))
            secret = settings.webhook.secret.get_secret_value()
            headers = {
                messages.TIMESTAMP_HEADER: stamp,
                messages.SIGNATURE_HEADER: messages.signature(secret, stamp, body),
            }
            sends.append(("webhook", settings.webhook.url, body, headers))
        if settings.slack is not None:
            url = settings.slack.webhook_url.get_secret_value()
            sends.append(("slack", url, _body(messages.slack_message(facts)), {}))
        if settings.pagerduty is not None:
            key = settings.pagerduty.routing_key.get_secret_value()
            event = messages.pagerduty_trigger(
                facts, routing_key=key, severity=settings.pagerduty.severity
            )
            sends.append(("pagerduty", settings.pagerduty.url, _body(event), {}))
        return await self._send_all(pending.receipt_id, sends)

    async def decided(self, pending: PendingApproval) -> None:
        """Close what stays open once a call is decided (the PagerDuty incident)."""
        pagerduty = self.settings.pagerduty
        if pagerduty is None:
            return
        key = pagerduty.routing_key.get_secret_value()
        event = messages.pagerduty_resolve(pending.receipt_id, routing_key=key)
        await self._send_all(pending.receipt_id, [("pagerduty", pagerduty.url, _body(event), {})])

    async def _send_all(
        self, receipt_id: str, sends: Sequence[tuple[str, str, bytes, dict[str, str]]]
    ) -> list[str]:
        async with httpx.AsyncClient(timeout=self.timeout_s) as client:
            results = await asyncio.gather(
                *(
                    self._send(client, name, url, body, headers)
                    for name, url, body, headers in sends
                )
            )
        problems = [problem for problem in results if problem]
        for problem in problems:
            log.error("an approver could not be notified", receipt_id=receipt_id, problem=problem)
        return problems

    async def _send(
        self, client: httpx.AsyncClient, name: str, url: str, body: bytes, headers: dict[str, str]
    ) -> str:
        try:
            answer = await client.post(url, content=body, headers={**_JSON, **headers})
        except httpx.HTTPError as exc:
            # The URL is not logged: for Slack it is the credential.
            return f"{name}: {type(exc).__name__}: {str(exc)[:200]}"
        if not answer.is_success:
            return f"{name}: HTTP {answer.status_code}"
        return ""
