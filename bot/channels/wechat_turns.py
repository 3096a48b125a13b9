"""One incoming WeChat message, handled once, answered inside WeChat's 5-second window.

The first copy of a message claims it in the shared state; copies WeChat retries (to
any process) wait for that claim's outcome and repeat its passive reply, or just say
``success`` when the answer goes out through the customer-service API.

The resident always hears something (see :mod:`bot.channels.safety`): an emergency gets its
hotline as the passive reply even while Rasa waits for a hung action server, a failed turn an
honest note with the duty phone. When the shared state cannot be written (a read-only or
failing database) messages are answered anyway, just without the retry bookkeeping.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any, Awaitable, Callable, Dict, Set

from rasa.core.channels.channel import UserMessage
from sqlalchemy.exc import SQLAlchemyError
from wechatpy.events import ClickEvent, ScanEvent, SubscribeEvent, SubscribeScanEvent, UnsubscribeEvent
from wechatpy.messages import BaseMessage, ImageMessage, LocationMessage, TextMessage, VoiceMessage

from bot.channels import evidence, replies
from bot.channels import wechat_text as texts
from bot.channels.safety import DONE, FAILED, Incoming, SafetyNet
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
    def __init__(
        self, database_url: str, courier: Courier, net: SafetyNet, reply_window: float = REPLY_WINDOW_SECONDS
    ) -> None:
        self.database_url = database_url
        self.courier = courier
        self.net = net
        self.output = WeChatCustomerServiceOutput(courier)
        self.reply_window = reply_window
        self._background: Set[asyncio.Task] = set()

    async def answer(
        self,
        message: BaseMessage,
        on_new_message: OnNewMessage,
        awaiting_address: AwaitingAddress,
        agent: Any | None = None,
    ) -> str | None:
        """The passive reply text for ``message``, or None for ``success`` (nothing, or sent later)."""
        deadline = time.monotonic() + self.reply_window
        key = dedupe_key(message)
        try:
            first = await asyncio.to_thread(dedupe.claim, self.database_url, key, CHANNEL)
        except SQLAlchemyError:
            logger.exception("WeChat %s: cannot record the message; answering without retry protection", key)
            first = True
        if not first:
            logger.info("WeChat retry of %s: reusing the first outcome", key)
            return await self._first_outcome(key, deadline)
        try:
            reply = await self._handle(message, key, deadline, on_new_message, awaiting_address, agent)
        except Exception:
            logger.exception("WeChat message %s failed", key)
            text = getattr(message, "content", None) or ""
            hotline = await self.net.missing_hotline(text, [], agent) if text.strip() else None
            reply = _joined(*([hotline["text"]] if hotline else []), self.net.text(replies.FAILED)["text"])
            await self._record(key, dedupe.REPLIED, reply)
            return reply
        return reply

    async def _first_outcome(self, key: str, deadline: float) -> str | None:
        while time.monotonic() < deadline:
            try:
                outcome = await asyncio.to_thread(dedupe.outcome, self.database_url, key)
            except SQLAlchemyError:
                logger.exception("WeChat %s: cannot read the first outcome", key)
                return None
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
        agent: Any | None,
    ) -> str | None:
        sender = message.source
        if isinstance(message, UnsubscribeEvent):
            return await self._finish(key, None)
        if isinstance(message, (SubscribeEvent, SubscribeScanEvent, ScanEvent)):
            await self._remember(sender, texts.WELCOME_PAYLOADS)
            return await self._finish(key, texts.WELCOME)
        self._spawn(self.courier.release_pending(sender))
        # Options shown last are used up by whatever the resident sends next.
        try:
            offered = await asyncio.to_thread(take_options, self.database_url, CHANNEL, sender)
        except SQLAlchemyError:
            logger.exception("WeChat %s: numbered options unavailable", key)
            offered = []
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
        incoming = self.net.prepare(text, metadata)
        if incoming is None:
            return await self._finish(key, self.net.text(replies.EMPTY)["text"])
        return await self._turn(key, sender, incoming, deadline, on_new_message, agent)

    async def _turn(
        self,
        key: str,
        sender: str,
        incoming: Incoming,
        deadline: float,
        on_new_message: OnNewMessage,
        agent: Any | None,
    ) -> str | None:
        collector = TurnCollector()
        user_message = UserMessage(
            incoming.text, collector, sender, input_channel=CHANNEL, message_id=key, metadata=incoming.metadata
        )
        watched = await self.net.watch(
            on_new_message(user_message),
            incoming.text,
            collector.messages,
            agent,
            give_up_after=max(0.0, deadline - time.monotonic()),
        )
        notice = [incoming.notice] if incoming.notice else []
        if watched.state == DONE and len(collector.messages) <= 1:
            if not collector.messages:
                return await self._finish(key, _joined(notice) or None)
            reply, payloads = texts.render(collector.messages[0])
            if payloads:
                await self._remember(sender, payloads)
            return await self._finish(key, _joined(notice, reply) or None)
        if watched.state == FAILED or watched.emergency or self.net.hotline_sent(collector.messages, agent):
            # Said now, in the passive reply, which needs neither WeChat's API nor the outbox:
            # the hotline first, then whatever Rasa said so far.
            said = len(collector.messages)
            parts = [*notice, *([watched.hotline["text"]] if watched.hotline else [])]
            parts += [await self._rendered(sender, message) for message in collector.messages[:said]]
            if watched.state == FAILED:
                parts.append(self.net.text(replies.FAILED)["text"])
            elif watched.state != DONE:  # the rest of a late turn follows through the customer-service API
                self._spawn(self._deliver_later(watched.task, collector, sender, incoming, agent, skip=said))
            return await self._finish(key, _joined(*parts))
        await self._record(key, dedupe.DEFERRED)
        logger.info("WeChat %s: answer goes out through the customer-service API", key)
        for text in notice:
            await self.output.send_response(sender, {"text": text})
        self._spawn(self._deliver_later(watched.task, collector, sender, incoming, agent))
        return None

    async def _deliver_later(
        self,
        task: asyncio.Future,
        collector: TurnCollector,
        sender: str,
        incoming: Incoming,
        agent: Any | None,
        skip: int = 0,
    ) -> None:
        try:
            await task
        except Exception:  # already logged by the safety net
            failed = True
        else:
            failed = False
        for message in collector.messages[skip:]:
            await self.output.send_response(sender, message)
        if failed:
            hotline = await self.net.missing_hotline(incoming.text, collector.messages, agent)
            if hotline and skip == 0:
                await self.output.send_response(sender, hotline)
            await self.output.send_response(sender, self.net.text(replies.FAILED))

    async def _rendered(self, sender: str, message: Dict[str, Any]) -> str:
        text, payloads = texts.render(message)
        if payloads:
            await self._remember(sender, payloads)
        return text

    async def _remember(self, sender: str, payloads: list) -> None:
        try:
            await asyncio.to_thread(remember_options, self.database_url, CHANNEL, sender, payloads)
        except SQLAlchemyError:
            logger.exception("WeChat: numbered options not remembered")

    async def _finish(self, key: str, reply: str | None) -> str | None:
        await self._record(key, dedupe.REPLIED if reply else dedupe.DONE, reply)
        return reply

    async def _record(self, key: str, status: str, reply: str | None = None) -> None:
        try:
            await asyncio.to_thread(dedupe.finish, self.database_url, key, status, reply)
        except SQLAlchemyError:
            logger.exception("WeChat %s: outcome not recorded", key)

    def _spawn(self, coroutine: Awaitable[Any]) -> None:
        task = asyncio.ensure_future(coroutine)
        self._background.add(task)
        task.add_done_callback(self._background.discard)


def _joined(*parts: str) -> str:
    """Several texts as one passive reply (WeChat shows one message per reply)."""
    return "\n\n".join(part for part in parts if part)
