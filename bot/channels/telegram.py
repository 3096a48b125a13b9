"""Telegram channel: Bot API ``Update`` JSON in (webhook), python-telegram-bot's ``Bot`` out.

Registered in credentials.yml as ``bot.channels.telegram.TelegramInput``; Rasa serves it at
``POST /webhooks/telegram/webhook``. Settings come from :func:`bot.settings.get_settings` only,
so the route exists (and answers 503) even when no bot token is configured.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
from collections import OrderedDict
from typing import Any, Awaitable, Callable, Dict, List

from rasa.core.channels.channel import InputChannel, OutputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse
from sqlalchemy.exc import SQLAlchemyError
from telegram import Bot, CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.error import TelegramError
from telegram.request import HTTPXRequest

from bot.channels import replies
from bot.channels.limits import WebhookLimits, client_address
from bot.channels.safety import FAILED, SafetyNet
from bot.delivery import dedupe
from bot.settings import Settings, get_settings

logger = logging.getLogger(__name__)
# httpx logs every request URL at INFO, and a Bot API URL contains the bot token.
logging.getLogger("httpx").setLevel(logging.WARNING)

CHANNEL = "telegram"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"  # nosec B105
MAX_BODY_BYTES = 256 * 1024  # a real Update is a few kilobytes
MAX_MESSAGE_CHARS = 4096  # Telegram refuses longer messages
MAX_CALLBACK_BYTES = 64  # Telegram's limit for an inline button's callback_data
REMEMBERED_PAYLOADS = 10_000
CONNECTIONS = 8  # PTB's default pool of 1 would make concurrent conversations wait for each other
GREET_PAYLOAD = "/greet"
GREET_COMMANDS = ("/start", "/help")  # Telegram's conventional commands; both open with the greeting
ONLY_TEXT_REPLY = "抱歉，我现在只看得懂文字。请直接打字告诉我您要办的事；发送 /start 可以看看我能帮您做什么。"


class CallbackPayloads:
    """Fits Rasa button payloads into Telegram's 64-byte ``callback_data``.

    Short payloads (``/affirm``) travel as they are. A longer one (an intent with entities in
    Chinese) travels as a digest that is looked up here; if that entry is gone (a restart),
    the button's title is sent instead, which the NLU understands as well.
    """

    PREFIX = "#"

    def __init__(self, size: int) -> None:
        self._size = size
        self._long: OrderedDict[str, str] = OrderedDict()

    def encode(self, payload: str) -> str:
        if len(payload.encode()) <= MAX_CALLBACK_BYTES and not payload.startswith(self.PREFIX):
            return payload
        key = self.PREFIX + hashlib.sha256(payload.encode()).hexdigest()[:32]
        self._long[key] = payload
        self._long.move_to_end(key)
        if len(self._long) > self._size:
            self._long.popitem(last=False)
        return key

    def decode(self, data: str, title: str | None) -> str | None:
        if not data.startswith(self.PREFIX):
            return data
        return self._long.get(data, title)


def button_title(query: CallbackQuery) -> str | None:
    """The title of the inline button that was pressed, read from the message that carried it."""
    message = query.message
    markup = message.reply_markup if isinstance(message, Message) else None
    for row in markup.inline_keyboard if markup else ():
        for button in row:
            if button.callback_data == query.data:
                return button.text
    return None


def split_text(text: str, limit: int = MAX_MESSAGE_CHARS) -> List[str]:
    """Telegram takes at most 4096 characters a message; cut longer texts at line breaks."""
    parts: List[str] = []
    rest = text.strip()
    while len(rest) > limit:
        cut = rest.rfind("\n", 0, limit)
        cut = cut if cut > 0 else limit
        parts.append(rest[:cut])
        rest = rest[cut:].lstrip("\n")
    return [*parts, rest] if rest else parts


def redacted(error: Exception, token: str) -> str:
    """An error for the log, without the bot token (PTB puts it in some messages)."""
    text = str(error).replace(token, "***") if token else str(error)
    return f"{error.__class__.__name__}: {text}"


class TelegramOutput(OutputChannel):
    """Sends Rasa's responses through the channel's one ``Bot``; buttons become an inline keyboard."""

    @classmethod
    def name(cls) -> str:
        return CHANNEL

    def __init__(self, bot: Callable[[], Awaitable[Bot]], payloads: CallbackPayloads) -> None:
        self._bot = bot
        self._payloads = payloads

    async def send_text_message(self, recipient_id: str, text: str, **kwargs: Any) -> None:
        bot = await self._bot()
        for part in split_text(text):
            await bot.send_message(chat_id=recipient_id, text=part)

    async def send_text_with_buttons(
        self, recipient_id: str, text: str, buttons: List[Dict[str, Any]], **kwargs: Any
    ) -> None:
        """One button a row: long Chinese titles stay readable on a phone."""
        keyboard = InlineKeyboardMarkup(
            [
                [InlineKeyboardButton(button["title"], callback_data=self._payloads.encode(button["payload"]))]
                for button in buttons
            ]
        )
        bot = await self._bot()
        *leading, last = split_text(text) or ["请选择："]
        for part in leading:
            await bot.send_message(chat_id=recipient_id, text=part)
        await bot.send_message(chat_id=recipient_id, text=last, reply_markup=keyboard)

    async def send_image_url(self, recipient_id: str, image: str, **kwargs: Any) -> None:
        bot = await self._bot()
        await bot.send_photo(chat_id=recipient_id, photo=image)


class RecordingTelegramOutput(TelegramOutput):
    """Sends like :class:`TelegramOutput` and remembers what one turn sent (did the hotline go out?)."""

    def __init__(self, bot: Callable[[], Awaitable[Bot]], payloads: CallbackPayloads) -> None:
        super().__init__(bot, payloads)
        self.messages: List[Dict[str, Any]] = []

    async def send_response(self, recipient_id: str, message: Dict[str, Any]) -> None:
        self.messages.append(dict(message))
        await super().send_response(recipient_id, message)


class TelegramInput(InputChannel):
    """The webhook: checks the secret token, parses the Update, hands its text to Rasa."""

    @classmethod
    def name(cls) -> str:
        return CHANNEL

    @classmethod
    def from_credentials(cls, credentials: Dict[str, Any] | None) -> InputChannel:
        """credentials.yml carries no secrets for this channel: everything is in the settings."""
        settings = get_settings()
        if not settings.telegram_token:
            logger.info("Telegram channel off: TELEGRAM_TOKEN is not set (its webhook answers 503)")
        return cls(settings)

    def __init__(self, settings: Settings) -> None:
        self._token = settings.telegram_token
        self._api_base = settings.telegram_api_base
        self._secret = settings.telegram_secret_token
        self._bot: Bot | None = None
        self._bot_lock = asyncio.Lock()
        self._database_url = settings.database_url
        self._payloads = CallbackPayloads(REMEMBERED_PAYLOADS)
        self._settings = settings
        self._net = SafetyNet(settings)
        self._limits = WebhookLimits(settings)

    async def bot(self) -> Bot:
        """The one initialised ``Bot`` of this process, made on first use inside Sanic's loop."""
        async with self._bot_lock:
            if self._bot is None:
                if not self._token:
                    raise RuntimeError("TELEGRAM_TOKEN is not set")
                self._bot = Bot(
                    self._token,
                    base_url=self._api_base,
                    request=HTTPXRequest(connection_pool_size=CONNECTIONS),
                )
            await self._bot.initialize()  # getMe; a no-op once it has worked
            return self._bot

    def get_output_channel(self) -> OutputChannel | None:
        """Also used by Rasa's ``trigger_intent?output_channel=telegram`` for proactive messages."""
        return TelegramOutput(self.bot, self._payloads) if self._token else None

    def _authorised(self, request: Request) -> bool:
        if not self._secret:
            return True
        return hmac.compare_digest(request.headers.get(SECRET_HEADER, ""), self._secret)

    async def _text_of(self, update: Update) -> tuple[int, str] | None:
        """The chat and the text to give Rasa, or None when there is nothing for Rasa."""
        query = update.callback_query
        if query is not None:
            title = button_title(query)
            bot = await self.bot()
            await bot.answer_callback_query(query.id, text=f"您选了：{title}" if title else None)
            payload = self._payloads.decode(query.data or "", title)
            chat_id = query.message.chat.id if query.message else query.from_user.id
            return (chat_id, payload) if payload else None
        message = update.message
        if message is None:  # edits, channel posts, member changes: nothing to answer
            return None
        text = message.text or message.caption  # a photo with a caption is read by its caption
        if text:
            command = text.split(maxsplit=1)[0].split("@")[0]
            return message.chat_id, GREET_PAYLOAD if command in GREET_COMMANDS else text
        bot = await self.bot()
        await bot.send_message(chat_id=message.chat_id, text=ONLY_TEXT_REPLY)
        return None

    async def _turn(
        self,
        chat_id: int,
        text: str,
        update_id: int,
        on_new_message: Callable[[UserMessage], Awaitable[Any]],
        agent: Any | None,
    ) -> None:
        """One message through Rasa, with the safety net: the hotline and an honest note when Rasa fails."""
        bot = await self.bot()
        if not self._limits.sender_allowed(str(chat_id)):
            logger.warning("telegram: too many messages from one chat")
            await bot.send_message(chat_id=chat_id, text=self._net.text(replies.RATE_LIMITED)["text"])
            return
        incoming = self._net.prepare(text)
        if incoming is None:
            await bot.send_message(chat_id=chat_id, text=self._net.text(replies.EMPTY)["text"])
            return
        if incoming.notice:
            await bot.send_message(chat_id=chat_id, text=incoming.notice)
        output = RecordingTelegramOutput(self.bot, self._payloads)
        message = UserMessage(
            incoming.text,
            output,
            str(chat_id),
            input_channel=CHANNEL,
            message_id=f"telegram-{update_id}",
            metadata=incoming.metadata or None,
        )
        watched = await self._net.watch(
            on_new_message(message),
            incoming.text,
            output.messages,
            agent,
            give_up_after=self._settings.turn_timeout_seconds,
        )
        if watched.hotline:
            await bot.send_message(chat_id=chat_id, text=watched.hotline["text"])
        if watched.state == FAILED:
            await bot.send_message(chat_id=chat_id, text=self._net.text(replies.FAILED)["text"])

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        webhook = Blueprint("shequtong_telegram", __name__)

        @webhook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            if not self._token:
                return response.json({"error": "telegram is not configured"}, status=503)
            address = client_address(request)
            if self._limits.address_blocked(address):
                logger.warning("telegram webhook: too many refused requests from one address")
                return response.json({"error": "too many requests"}, status=429)
            if not self._authorised(request):
                logger.warning("telegram webhook call without the right secret token refused")
                self._limits.refused(address)
                return response.json({"error": "forbidden"}, status=403)
            if len(request.body or b"") > MAX_BODY_BYTES:
                return response.json({"error": "too large"}, status=413)
            try:
                data = json.loads(request.body)
                if not isinstance(data, dict):
                    raise TypeError("an Update is a JSON object")
                update = Update.de_json(data, None)
            except (ValueError, TypeError, KeyError, AttributeError) as exc:
                logger.warning("telegram webhook got a body that is not an Update: %s", exc.__class__.__name__)
                return response.json({"error": "not a Telegram Update"}, status=400)
            key = f"telegram:{update.update_id}"
            # Claimed in the shared database, so every worker process sees it.
            try:
                first = await asyncio.to_thread(dedupe.claim, self._database_url, key, CHANNEL)
            except SQLAlchemyError:
                logger.exception("telegram update %s not recorded; answered without retry protection", key)
                first = True
            if not first:
                logger.info("telegram update %s delivered again, ignored", update.update_id)
                return response.empty(status=200)
            # Telegram re-delivers an update until it gets a 2xx: after a failure we log and
            # still answer 200, so one broken update cannot make the bot answer repeatedly.
            try:
                incoming = await self._text_of(update)
                if incoming is not None:
                    agent = getattr(request.app.ctx, "agent", None)
                    await self._turn(*incoming, update.update_id, on_new_message, agent)
            except TelegramError as exc:
                logger.error("telegram update %s not answered: %s", update.update_id, redacted(exc, self._token))
            except Exception:
                logger.exception("telegram update %s failed", update.update_id)
            try:
                await asyncio.to_thread(dedupe.finish, self._database_url, key, dedupe.DONE)
            except SQLAlchemyError:
                logger.exception("telegram update %s: outcome not recorded", update.update_id)
            return response.empty(status=200)

        @webhook.listener("after_server_stop")
        async def close_bot(*_: Any) -> None:
            if self._bot is not None:
                await self._bot.shutdown()

        return webhook
