"""One incoming WeChat message, handled once, answered inside WeChat's 5-second window.

The first copy of a message claims it in the shared state; copies WeChat retries (to
any process) wait for that claim's outcome and repeat its passive reply, or just say
``success`` when the answer goes out through the customer-service API.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any, Awaitable, Callable, Dict, Set

from rasa.core.channels.channel import UserMessage
from wechatpy.events import ClickEvent, ScanEvent, SubscribeEvent, SubscribeScanEvent, UnsubscribeEvent
from wechatpy.messages import BaseMessage, ImageMessage, LocationMessage, TextMessage, VoiceMessage

from bot.channels import evidence
from bot.channels import wechat_text as texts
from bot.channels.wechat_output import CHANNEL, Courier, TurnCollector, WeChatCustomerServiceOutput
from bot.delivery import dedupe
from bot.delivery.options import remember_options, take_options

logger = logging.getLogger(__name__)

REPLY_WINDOW_SECONDS = 4.0  # WeChat gives up after 5 s; leave room for the network
POLL_SECONDS = 0.1

OnNewMessage = Callable[[UserMessage], Awaitable[Any]]
AwaitingAddress = Callable[[str], Awaitable[bool]]


def dedupe_key(message: BaseMessage) -> str:
    """MsgId for messages; events have none, so sender and creation time stand in."""
    if message.type == "event" or not message.id:
        return f"{CHANNEL}:{message.target}:event:{message.source}:{message.time}"
    return f"{CHANNEL}:{message.target}:msg:{message.id}"


class WeChatTurns:
    def __init__(self, database_url: str, courier: Courier, reply_window: float = REPLY_WINDOW_SECONDS) -> None:
        self.database_url = database_url
        self.courier = courier
        self.output = WeChatCustomerServiceOutput(courier)
        self.reply_window = reply_window
        self._background: Set[asyncio.Task] = set()

    async def answer(
        self, message: BaseMessage, on_new_message: OnNewMessage, awaiting_address: AwaitingAddress
    ) -> str | None:
        """The passive reply text for ``message``, or None for ``success`` (nothing, or sent later)."""
        deadline = time.monotonic() + self.reply_window
        key = dedupe_key(message)
        if not await asyncio.to_thread(dedupe.claim, self.database_url, key, CHANNEL):
            logger.info("WeChat retry of %s: reusing the first outcome", key)
            return await self._first_outcome(key, deadline)
        try:
            reply = await self._handle(message, key, deadline, on_new_message, awaiting_address)
        except Exception:
            logger.exception("WeChat message %s failed", key)
            await asyncio.to_thread(dedupe.finish, self.database_url, key, dedupe.REPLIED, texts.BUSY)
            return texts.BUSY
        return reply

    async def _first_outcome(self, key: str, deadline: float) -> str | None:
        while time.monotonic() < deadline:
            outcome = await asyncio.to_thread(dedupe.outcome, self.database_url, key)
            if outcome is not None and outcome.status != dedupe.PROCESSING:
                return outcome.reply if outcome.status == dedupe.REPLIED else None
            await asyncio.sleep(POLL_SECONDS)
        return None

    async def _handle(
        self,
        message: BaseMessage,
        key: str,
        deadline: float,
        on_new_message: OnNewMessage,
        awaiting_address: AwaitingAddress,
    ) -> str | None:
        sender = message.source
        if isinstance(message, UnsubscribeEvent):
            return await self._finish(key, None)
        if isinstance(message, (SubscribeEvent, SubscribeScanEvent, ScanEvent)):
            await asyncio.to_thread(remember_options, self.database_url, CHANNEL, sender, texts.WELCOME_PAYLOADS)
            return await self._finish(key, texts.WELCOME)
        self._spawn(self.courier.release_pending(sender))
        # Options shown last are used up by whatever the resident sends next.
        offered = await asyncio.to_thread(take_options, self.database_url, CHANNEL, sender)
        metadata: Dict[str, Any] = {"wechat": {"type": message.type}}
        if isinstance(message, TextMessage):
            text = texts.chosen_option(message.content, offered) or texts.typed(message.content)
        elif isinstance(message, ClickEvent) and message.key in texts.MENU_KEYS:
            text = texts.MENU_KEYS[message.key]
        elif isinstance(message, VoiceMessage) and (message.recognition or "").strip():
            text = texts.typed(message.recognition)
            metadata["wechat"]["recognised_voice"] = True
        elif isinstance(message, VoiceMessage):
            return await self._finish(key, texts.VOICE_NOT_UNDERSTOOD)
        elif isinstance(message, LocationMessage):
            place = {"label": message.label, "latitude": message.location_x, "longitude": message.location_y}
            if message.label and await awaiting_address(sender):
                text, metadata["wechat"]["location"] = message.label, place
            else:  # evidence for the resident's open complaint, if any
                text = f"[位置] {message.label or ''}".strip()
                metadata[evidence.ATTACHMENT] = evidence.location(message.location_x, message.location_y, message.label)
        elif isinstance(message, ImageMessage):
            text, metadata[evidence.ATTACHMENT] = "[图片]", evidence.image(message.image)
        elif message.type == "event":
            logger.info("WeChat event %s ignored", getattr(message, "event", "?"))
            return await self._finish(key, None)
        else:
            return await self._finish(key, texts.UNSUPPORTED)
        return await self._turn(key, sender, text, metadata, deadline, on_new_message)

    async def _turn(
        self,
        key: str,
        sender: str,
        text: str,
        metadata: Dict[str, Any],
        deadline: float,
        on_new_message: OnNewMessage,
    ) -> str | None:
        collector = TurnCollector()
        user_message = UserMessage(text, collector, sender, input_channel=CHANNEL, message_id=key, metadata=metadata)
        task = asyncio.ensure_future(on_new_message(user_message))
        done, _ = await asyncio.wait({task}, timeout=max(0.0, deadline - time.monotonic()))
        if done and task.exception() is None and len(collector.messages) <= 1:
            if not collector.messages:
                return await self._finish(key, None)
            reply, payloads = texts.render(collector.messages[0])
            if payloads:
                await asyncio.to_thread(remember_options, self.database_url, CHANNEL, sender, payloads)
            return await self._finish(key, reply or None)
        await asyncio.to_thread(dedupe.finish, self.database_url, key, dedupe.DEFERRED)
        logger.info("WeChat %s: answer goes out through the customer-service API", key)
        self._spawn(self._deliver_later(task, collector, sender))
        return None

    async def _deliver_later(self, task: asyncio.Future, collector: TurnCollector, sender: str) -> None:
        try:
            await task
        except Exception:
            logger.exception("Rasa failed on a WeChat message")
            await self.output.send_response(sender, {"text": texts.BUSY})
            return
        for message in collector.messages:
            await self.output.send_response(sender, message)

    async def _finish(self, key: str, reply: str | None) -> str | None:
        status = dedupe.REPLIED if reply else dedupe.DONE
        await asyncio.to_thread(dedupe.finish, self.database_url, key, status, reply)
        return reply

    def _spawn(self, coroutine: Awaitable[Any]) -> None:
        task = asyncio.ensure_future(coroutine)
        self._background.add(task)
        task.add_done_callback(self._background.discard)
