"""Residents' data rights in the staff service's background loop.

Each round empties the Rasa conversations of residents whose data was erased (the chat's erasure
cannot empty the conversation it answers in; Rasa down: tried again next round), and once an hour
purges transcripts and contact details of tickets finished longer ago than ``RETENTION_DAYS``.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timedelta

import httpx

from bot.staff.rasa import RasaClient
from tickets.privacy import ResidentData

logger = logging.getLogger(__name__)

ROUND_SECONDS = 5.0
PURGE_EVERY = timedelta(hours=1)


class PrivacyJobs:
    def __init__(self, data: ResidentData, rasa: RasaClient, *, retention: timedelta) -> None:
        self.data = data
        self.rasa = rasa
        self.retention = retention
        self._purged_at: datetime | None = None

    async def empty_conversation(self, sender_id: str) -> bool:
        """Whether Rasa emptied it; if not, it stays queued for the next round."""
        try:
            await self.rasa.empty_conversation(sender_id)
        except (httpx.HTTPError, ValueError) as exc:
            logger.warning("a conversation could not be emptied yet: %s", exc.__class__.__name__)
            await asyncio.to_thread(self.data.conversation_not_emptied, sender_id, exc.__class__.__name__)
            return False
        await asyncio.to_thread(self.data.conversation_emptied, sender_id)
        return True

    async def run_once(self) -> None:
        for sender_id in await asyncio.to_thread(self.data.conversations_to_empty):
            if not await self.empty_conversation(sender_id):
                break  # Rasa is away: the rest wait for the next round
        now = self.data.clock()
        if self._purged_at is None or now - self._purged_at >= PURGE_EVERY:
            await asyncio.to_thread(self.data.purge_expired, retention=self.retention)
            self._purged_at = now

    async def keep_running(self, every: float = ROUND_SECONDS) -> None:
        while True:
            try:
                await self.run_once()
            except Exception:  # the loop must outlive a database hiccup; the next round tries again
                logger.exception("privacy round failed")
            await asyncio.sleep(every)
