"""The one way to message a resident outside their own turn: staff replies, ticket updates,
rating requests, handoff notices.

Rasa delivers them. The message is appended to the resident's conversation as a bot event
with ``execute_side_effects``, so Rasa hands it to the output channel of the channel the
resident used (WeChat's customer-service API, Telegram's Bot API) and the conversation's
history shows it; the web chat and REST callers read it from the tracker. Slot events can
go with it (a handoff taken over, a rating asked for), applied in the same step.

Every message is written to the outbox before it is tried, and stays there until Rasa took
it: when Rasa is down or the channel fails, the message is retried with backoff
(:meth:`ProactiveSender.retry_due`, run in the background by the staff service), never lost.
A channel that keeps its own queue (WeChat's 48-hour rule) takes over from there.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import Any, Dict, List, Sequence
from urllib.parse import quote

import httpx

from bot.delivery import outbox
from bot.settings import Settings, rasa_api_token

logger = logging.getLogger(__name__)

CHANNEL = "rasa"  # the outbox rows of this module
STAFF_METADATA_KEY = "staff"  # the web chat shows such messages as written by staff
TIMEOUT_SECONDS = 15
RETRY_EVERY_SECONDS = 10.0


@dataclass(frozen=True)
class Delivery:
    """What became of one message: ``sent``, ``retrying`` (and why), or still ``sending``."""

    id: int
    status: str
    attempts: int
    last_error: str | None


def _delivery(item: outbox.OutboxItem) -> Delivery:
    return Delivery(item.id, item.status, item.attempts, item.last_error)


def message_events(
    text: str,
    *,
    buttons: Sequence[Dict[str, str]] = (),
    staff: bool = False,
    slots: Dict[str, Any] | None = None,
) -> List[Dict[str, Any]]:
    """The tracker events that carry one message (and the slots set with it).

    Slots go into a new session that starts here. Otherwise they would be lost: Rasa starts a new
    session (dropping slots) when the resident next writes after a quiet spell (session_config in
    domain.yml), and on a conversation Rasa has not seen yet it starts the session after stamping
    these events, so the SQL tracker store, which reads from the last session start, never sees them.
    A session that starts with these events has no resident message yet, so it cannot expire.
    """
    events: List[Dict[str, Any]] = []
    if slots:
        events += [
            {"event": "action", "name": "action_session_start"},
            {"event": "session_started"},
            {"event": "action", "name": "action_listen"},
        ]
    events += [{"event": "slot", "name": name, "value": value} for name, value in slots.items()] if slots else []
    if text:
        events.append(
            {
                "event": "bot",
                "text": text,
                "data": {"buttons": list(buttons)} if buttons else {},
                "metadata": {STAFF_METADATA_KEY: True} if staff else {},
            }
        )
    return events


class ProactiveSender:
    def __init__(self, settings: Settings) -> None:
        self.database_url = settings.database_url
        self._base = settings.rasa_url
        self._token = {"token": rasa_api_token(settings)}

    async def send(
        self,
        conversation_id: str,
        channel: str,
        text: str,
        *,
        buttons: Sequence[Dict[str, str]] = (),
        staff: bool = False,
        slots: Dict[str, Any] | None = None,
        key: str | None = None,
    ) -> Delivery:
        """Store, then try once now; the returned status says whether it went out.

        With a ``key``, a message with that key stored before for this conversation is not sent
        again: its delivery is returned (the retry loop takes care of it if it has not gone out).
        """
        body = {
            "output_channel": channel,
            "events": message_events(text, buttons=buttons, staff=staff, slots=slots),
        }
        if key is None:
            item = await asyncio.to_thread(outbox.enqueue, self.database_url, CHANNEL, conversation_id, body)
        else:
            item, new = await asyncio.to_thread(
                outbox.enqueue_once, self.database_url, CHANNEL, conversation_id, body, key
            )
            if not new:
                logger.info("proactive message %s was stored before: not sent again", item.id)
                return _delivery(item)
        return await self._attempt(item)

    async def retry_due(self) -> int:
        """Try again what failed before and whose backoff is over; returns how many went out."""
        items = await asyncio.to_thread(outbox.claim_due, self.database_url, CHANNEL)
        sent = 0
        for item in items:
            sent += (await self._attempt(item)).status == outbox.SENT
        return sent

    async def keep_retrying(self, every: float = RETRY_EVERY_SECONDS) -> None:
        """The background loop of the staff service."""
        while True:
            try:
                await self.retry_due()
            except Exception:  # the loop must outlive a database hiccup; the next round tries again
                logger.exception("proactive retry round failed")
            await asyncio.sleep(every)

    def deliveries(self, ids: Sequence[int]) -> Dict[int, Delivery]:
        return {key: _delivery(item) for key, item in outbox.items(self.database_url, list(ids)).items()}

    async def _attempt(self, item: outbox.OutboxItem) -> Delivery:
        url = f"{self._base}/conversations/{quote(item.recipient, safe='')}/tracker/events"
        params = {"output_channel": item.body["output_channel"], "execute_side_effects": "true", **self._token}
        try:
            async with httpx.AsyncClient(timeout=TIMEOUT_SECONDS) as client:
                response = await client.post(url, params=params, json=item.body["events"])
            response.raise_for_status()
        except httpx.HTTPError as exc:
            status = f" {exc.response.status_code}" if isinstance(exc, httpx.HTTPStatusError) else ""
            reason = exc.__class__.__name__ + status
            logger.warning("proactive message %s not delivered (%s); will retry", item.id, reason)
            await asyncio.to_thread(outbox.mark_retry, self.database_url, item.id, item.attempts, reason)
            return Delivery(item.id, outbox.RETRYING, item.attempts, reason)
        await asyncio.to_thread(outbox.mark_sent, self.database_url, item.id)
        logger.info("proactive message %s delivered on %s", item.id, item.body["output_channel"])
        return Delivery(item.id, outbox.SENT, item.attempts, None)
