"""The SMS/phone-call gateway: the interface the duty alarm uses, and its HTTP implementation.

A community plugs in its provider (an SMS platform, a voice-call service) behind one HTTP
endpoint, ``ALERT_GATEWAY_URL``: the alarm POSTs ``{"to", "text", "reference"}`` with
``Authorization: Bearer ALERT_GATEWAY_TOKEN``, and any 2xx means the gateway accepted it.
Whether it texts, calls or both is the gateway's choice; ``reference`` is the same on every
retry of one alert, so the gateway can drop repeats.
"""

from __future__ import annotations

from typing import Protocol

import httpx

TIMEOUT_SECONDS = 10


class GatewayError(Exception):
    """The gateway did not take the alert. ``permanent``: trying again will not help (4xx)."""

    def __init__(self, reason: str, *, permanent: bool = False) -> None:
        super().__init__(reason)
        self.permanent = permanent


class AlertGateway(Protocol):
    async def notify(self, phone: str, text: str, reference: str) -> None:
        """Hand one alert to the gateway; :class:`GatewayError` when it was not accepted."""


class HttpAlertGateway:
    def __init__(self, url: str, token: str | None = None) -> None:
        self.url = url
        self._headers = {"Authorization": f"Bearer {token}"} if token else {}

    async def notify(self, phone: str, text: str, reference: str) -> None:
        payload = {"to": phone, "text": text, "reference": reference}
        try:
            async with httpx.AsyncClient(timeout=TIMEOUT_SECONDS) as client:
                response = await client.post(self.url, json=payload, headers=self._headers)
        except httpx.HTTPError as exc:
            raise GatewayError(exc.__class__.__name__) from exc
        if response.status_code >= 300:
            retryable = response.status_code >= 500 or response.status_code in (408, 429)
            raise GatewayError(f"HTTP {response.status_code}", permanent=not retryable)
