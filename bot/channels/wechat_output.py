"""Sending to residents outside the passive reply: the customer-service API behind the outbox.

:class:`WeChatCustomerServiceOutput` is what the channel's ``get_output_channel()`` gives
Rasa, so ``/conversations/{id}/trigger_intent?output_channel=wechat`` reaches WeChat too.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any, Dict, List

import httpx
from rasa.core.channels.channel import OutputChannel
from sqlalchemy.exc import SQLAlchemyError

from bot.channels.wechat_api import OUT_OF_WINDOW, WeChatApi, WeChatApiError
from bot.channels.wechat_text import render
from bot.delivery import outbox
from bot.delivery.options import remember_options

logger = logging.getLogger(__name__)

CHANNEL = "wechat"


class Courier:
    """Stores each message in the outbox, sends it, and keeps it until it is sent."""

    def __init__(self, api: WeChatApi, database_url: str) -> None:
        self.api = api
        self.database_url = database_url

    async def deliver(self, openid: str, text: str) -> None:
        try:
            item = await asyncio.to_thread(outbox.enqueue, self.database_url, CHANNEL, openid, {"text": text})
        except SQLAlchemyError:
            logger.exception("outbox unavailable: sending once, directly, without a retry")
            await self._send_once(openid, text)
            return
        await self._send_in_order([item])

    async def _send_once(self, openid: str, text: str) -> None:
        try:
            await self.api.send_text(openid, text)
        except (WeChatApiError, httpx.HTTPError) as exc:
            logger.error("a message to a resident is lost (no outbox): %s", exc.__class__.__name__)

    async def release_pending(self, openid: str) -> None:
        """The resident wrote again: what waited for them (48-hour rule) can go now, in order."""
        while items := await asyncio.to_thread(outbox.claim_pending, self.database_url, CHANNEL, openid):
            if not await self._send_in_order(items):
                return

    async def retry_due(self) -> None:
        items = await asyncio.to_thread(outbox.claim_due, self.database_url, CHANNEL)
        for recipient in {item.recipient for item in items}:
            await self._send_in_order([item for item in items if item.recipient == recipient])

    async def _send_in_order(self, items: List[outbox.OutboxItem]) -> bool:
        """One resident's messages, oldest first: none overtakes an earlier one still unsent."""
        for index, item in enumerate(items):
            earlier = await asyncio.to_thread(outbox.earlier_unsent, self.database_url, item)
            status = earlier.status if earlier else await self._attempt(item)
            if status != outbox.SENT:
                for waiting in items[index if earlier else index + 1 :]:
                    await self._queue_behind(waiting, status)
                return False
        return True

    async def _queue_behind(self, item: outbox.OutboxItem, status: str) -> None:
        if status == outbox.PENDING:
            await asyncio.to_thread(outbox.mark_pending, self.database_url, item.id, "behind a pending message")
        else:
            await asyncio.to_thread(
                outbox.mark_retry, self.database_url, item.id, item.attempts, "behind an unsent message"
            )

    async def _attempt(self, item: outbox.OutboxItem) -> str:
        """Send once and record the outcome: sent, pending (45015) or retrying."""
        try:
            await self.api.send_text(item.recipient, item.body["text"])
        except WeChatApiError as exc:
            if exc.errcode == OUT_OF_WINDOW:
                logger.info("outbox %s: resident out of reach (45015), kept until they write", item.id)
                await asyncio.to_thread(outbox.mark_pending, self.database_url, item.id, str(exc))
                return outbox.PENDING
            logger.warning("outbox %s: %s; will retry", item.id, exc)
            await asyncio.to_thread(outbox.mark_retry, self.database_url, item.id, item.attempts, str(exc))
            return outbox.RETRYING
        except httpx.HTTPError as exc:
            logger.warning("outbox %s: %s; will retry", item.id, exc.__class__.__name__)
            await asyncio.to_thread(
                outbox.mark_retry, self.database_url, item.id, item.attempts, exc.__class__.__name__
            )
            return outbox.RETRYING
        await asyncio.to_thread(outbox.mark_sent, self.database_url, item.id)
        return outbox.SENT


class WeChatCustomerServiceOutput(OutputChannel):
    """Bot messages as customer-service messages; buttons become numbered options."""

    def __init__(self, courier: Courier) -> None:
        self.courier = courier

    @classmethod
    def name(cls) -> str:
        return CHANNEL

    async def send_response(self, recipient_id: str, message: Dict[str, Any]) -> None:
        text, payloads = render(message)
        if payloads:
            try:
                await asyncio.to_thread(remember_options, self.courier.database_url, CHANNEL, recipient_id, payloads)
            except SQLAlchemyError:
                logger.exception("numbered options not remembered")
        if text:
            await self.courier.deliver(recipient_id, text)

    async def send_text_message(self, recipient_id: str, text: str, **kwargs: Any) -> None:
        await self.send_response(recipient_id, {"text": text})


class TurnCollector(OutputChannel):
    """Collects one turn's messages as Rasa produced them, to reply passively or hand on."""

    def __init__(self) -> None:
        self.messages: List[Dict[str, Any]] = []

    @classmethod
    def name(cls) -> str:
        return CHANNEL

    async def send_response(self, recipient_id: str, message: Dict[str, Any]) -> None:
        self.messages.append(dict(message))

    async def send_text_message(self, recipient_id: str, text: str, **kwargs: Any) -> None:
        self.messages.append({"text": text})
