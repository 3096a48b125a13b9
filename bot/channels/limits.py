"""Per-sender and per-address message limits for the public webhooks, so one flood cannot starve everyone.

Counts live in this process's memory (one minute's worth): cheap enough for every request, and a
flood has to get through each Rasa process's limit separately, which still bounds it.
"""

from __future__ import annotations

import time
from typing import Any, Callable, Dict, Tuple

from bot.settings import Settings

WINDOW_SECONDS = 60.0
MAX_KEYS = 50_000  # beyond this, windows that have ended are dropped


class RateLimiter:
    """At most ``limit`` events per key in each fixed window."""

    def __init__(self, limit: int, window: float = WINDOW_SECONDS, clock: Callable[[], float] = time.monotonic):
        self.limit = limit
        self.window = window
        self.clock = clock
        self._counts: Dict[str, Tuple[float, int]] = {}

    def allow(self, key: str) -> bool:
        now = self.clock()
        started, count = self._counts.get(key, (now, 0))
        if now - started >= self.window:
            started, count = now, 0
        if count >= self.limit:
            return False
        self._counts[key] = (started, count + 1)
        if len(self._counts) > MAX_KEYS:
            self._forget_ended(now)
        return True

    def full(self, key: str) -> bool:
        """Whether ``key`` has used up the current window (without counting anything)."""
        started, count = self._counts.get(key, (0.0, 0))
        return count >= self.limit and self.clock() - started < self.window

    def _forget_ended(self, now: float) -> None:
        self._counts = {key: value for key, value in self._counts.items() if now - value[0] < self.window}


class WebhookLimits:
    """One channel's limits: by client address (trusted local relays exempt) and by sender.

    WeChat and Telegram deliver every resident's message from their own few addresses, so their
    webhooks count only the requests they refuse (:meth:`refused`) against an address.
    """

    def __init__(self, settings: Settings, clock: Callable[[], float] = time.monotonic) -> None:
        self.by_ip = RateLimiter(settings.rate_limit_per_ip, clock=clock)
        self.by_sender = RateLimiter(settings.rate_limit_per_sender, clock=clock)
        self.trusted = {address.strip() for address in settings.rate_limit_trusted_ips.split(",") if address.strip()}

    def address_allowed(self, address: str) -> bool:
        return address in self.trusted or self.by_ip.allow(address)

    def address_blocked(self, address: str) -> bool:
        return address not in self.trusted and self.by_ip.full(address)

    def refused(self, address: str) -> None:
        if address not in self.trusted:
            self.by_ip.allow(address)

    def sender_allowed(self, sender: str) -> bool:
        return self.by_sender.allow(sender)


def client_address(request: Any) -> str:
    """The caller's address: from a trusted proxy's forwarding headers when Sanic is told to read them."""
    return request.remote_addr or request.ip or ""
