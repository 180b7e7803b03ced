"""Webhook POSTs through the SSRF guard: every delivery resolves and checks the receiver's address again."""

from __future__ import annotations

import time
from collections.abc import Mapping

from adapters.net.guarded_http import GuardedHttp
from domain.kernel.errors import FetchFailed, TargetRefused
from domain.webhooks.webhook import MAX_RESPONSE_EXCERPT, AttemptOutcome

RESPONSE_CAP_BYTES = 64 * 1024  # read at most this much of an answer; the log keeps MAX_RESPONSE_EXCERPT characters


class GuardedWebhookSender:
    """`http` is a guard made for webhooks: its timeout is the delivery timeout, its user agent the webhooks'."""

    def __init__(self, http: GuardedHttp) -> None:
        self._http = http

    async def post(self, url: str, headers: Mapping[str, str], body: bytes) -> AttemptOutcome:
        started = time.perf_counter()
        try:
            answer = await self._http.fetch(
                url,
                method="POST",
                headers=headers,
                body=body,
                max_bytes=RESPONSE_CAP_BYTES,
                truncate=True,
                follow_redirects=False,
            )
        except (TargetRefused, FetchFailed) as exc:
            return AttemptOutcome(status_code=None, latency_ms=_since(started), error=exc.message)
        excerpt = answer.body[: MAX_RESPONSE_EXCERPT * 4].decode("utf-8", "replace")[:MAX_RESPONSE_EXCERPT]
        error = None if 200 <= answer.status < 300 else f"the receiver answered {answer.status}"
        return AttemptOutcome(
            status_code=answer.status, latency_ms=_since(started), response_excerpt=excerpt, error=error
        )


def _since(started: float) -> int:
    return round((time.perf_counter() - started) * 1000)
