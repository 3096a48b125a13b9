"""The WeChat official account as a Rasa input channel: ``GET``/``POST /webhooks/wechat/webhook``.

Registered in credentials.yml as ``bot.channels.wechat.WeChatInput``; configured only by
bot/settings.py (WECHAT_*, DATABASE_URL). Without WECHAT_TOKEN the routes answer 503 and
the rest of the server runs as usual.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta
from typing import Any, Awaitable, Callable, Dict

from rasa.core.channels.channel import InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse
from sqlalchemy.exc import SQLAlchemyError
from wechatpy import parse_message
from wechatpy.crypto import WeChatCrypto
from wechatpy.replies import TextReply

from bot.channels import replies
from bot.channels.limits import WebhookLimits, client_address
from bot.channels.safety import SafetyNet
from bot.channels.wechat_api import WeChatApi
from bot.channels.wechat_output import Courier, WeChatCustomerServiceOutput
from bot.channels.wechat_protocol import (
    REPLAY_WINDOW_SECONDS,
    Rejected,
    check_signature_and_time,
    open_envelope,
)
from bot.channels.wechat_turns import WeChatTurns
from bot.delivery import dedupe, ensure_schema
from bot.settings import Settings, get_settings

logger = logging.getLogger(__name__)

RETRY_INTERVAL_SECONDS = 5
# A timestamp is accepted up to the replay window either side of now, so its nonce is kept for both.
FORGET_REQUESTS_AFTER = timedelta(seconds=2 * REPLAY_WINDOW_SECONDS + 60)
FORGET_EVERY_ROUNDS = 12
ADDRESS_FORMS = ("complaint_form", "booking_form")


class WeChatInput(InputChannel):
    """Official account messages in, passive replies or customer-service messages out."""

    @classmethod
    def name(cls) -> str:
        return "wechat"

    @classmethod
    def from_credentials(cls, credentials: Dict[str, Any] | None) -> WeChatInput:
        return cls(get_settings())  # credentials.yml only names the channel; settings configure it

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.problem = _configuration_problem(settings)
        self.crypto: WeChatCrypto | None = None
        self.limits = WebhookLimits(settings)
        if self.problem:
            logger.warning("WeChat channel off: %s; /webhooks/wechat/webhook answers 503", self.problem)
            return
        if settings.wechat_aes_key:
            self.crypto = WeChatCrypto(settings.wechat_token, settings.wechat_aes_key, settings.wechat_app_id)
        ensure_schema(settings.database_url)
        api = WeChatApi(
            settings.wechat_api_base, settings.wechat_app_id, settings.wechat_app_secret, settings.database_url
        )
        self.courier = Courier(api, settings.database_url)
        self.turns = WeChatTurns(settings.database_url, self.courier, SafetyNet(settings))
        logger.info("WeChat channel on (%s mode)", "safe" if self.crypto else "plain")

    def get_output_channel(self) -> WeChatCustomerServiceOutput | None:
        return None if self.problem else WeChatCustomerServiceOutput(self.courier)

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        webhook = Blueprint("wechat_webhook", __name__)
        housekeeping: list[asyncio.Task] = []

        @webhook.listener("after_server_start")
        async def start_housekeeping(_app: Any, _loop: Any) -> None:
            if not self.problem:
                housekeeping.append(asyncio.ensure_future(self._housekeeping()))

        @webhook.listener("before_server_stop")
        async def stop_housekeeping(_app: Any, _loop: Any) -> None:
            for task in housekeeping:
                task.cancel()
            if not self.problem:
                await self.courier.api.close()

        @webhook.route("/", methods=["GET"])
        async def health(_request: Request) -> HTTPResponse:
            return response.json({"status": "ok" if not self.problem else "not configured"})

        @webhook.route("/webhook", methods=["GET"])
        async def verify(request: Request) -> HTTPResponse:
            if self.problem:
                return _unavailable(self.problem)
            try:
                check_signature_and_time(self.settings.wechat_token, _args(request))
            except Rejected as exc:
                logger.warning("WeChat verification refused: %s", exc.reason)
                return response.text(exc.reason, status=exc.status)
            return response.text(request.args.get("echostr", ""))

        @webhook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            if self.problem:
                return _unavailable(self.problem)
            address = client_address(request)
            if self.limits.address_blocked(address):
                logger.warning("WeChat webhook: too many refused requests from one address")
                return response.text("too many requests", status=429)
            args = _args(request)
            try:
                check_signature_and_time(self.settings.wechat_token, args)
                plain = open_envelope(request.body or b"", args, self.crypto)
                await self._refuse_replay(args, request.body or b"")
            except Rejected as exc:
                logger.warning("WeChat message refused (%s): %s", exc.status, exc.reason)
                self.limits.refused(address)
                return response.text(exc.reason, status=exc.status)
            try:
                message = parse_message(plain)
            except (AttributeError, KeyError, TypeError, ValueError):  # wechatpy reads a blank field as None
                logger.warning("WeChat message refused (400): not a message wechatpy knows")
                return response.text("not a WeChat message", status=400)

            async def awaiting_address(sender: str) -> bool:
                return await _awaiting_address(request, sender)

            if self.limits.sender_allowed(message.source):
                agent = getattr(request.app.ctx, "agent", None)
                reply = await self.turns.answer(message, on_new_message, awaiting_address, agent)
            else:
                logger.warning("WeChat webhook: too many messages from one resident")
                reply = replies.RATE_LIMITED.format(duty_phone=self.settings.duty_phone)
            if not reply:
                return response.text("success")
            xml = TextReply(message=message, content=reply).render()
            if self.crypto:
                xml = self.crypto.encrypt_message(xml, args["nonce"])
            return response.text(xml, content_type="application/xml")

        return webhook

    async def _refuse_replay(self, args: Dict[str, str], body: bytes) -> None:
        """A signed (timestamp, nonce) seen before with another body is a captured signature reused.

        Kept in the delivery database so every process agrees. When that database cannot be
        written, the message is still answered (signature and timestamp were checked).
        """
        key = f"wechat:{args['timestamp']}:{args['nonce']}"
        try:
            first = await asyncio.to_thread(dedupe.first_use, self.settings.database_url, key, body)
        except SQLAlchemyError:
            logger.exception("WeChat: cannot record the request's nonce; replay check skipped")
            return
        if not first:
            raise Rejected(403, "timestamp and nonce already used")

    async def _housekeeping(self) -> None:
        """Retry failed sends after their backoff, forget nonces past the replay window
        (old message claims are forgotten by the staff service)."""
        rounds = 0
        while True:
            await asyncio.sleep(RETRY_INTERVAL_SECONDS)
            rounds += 1
            try:
                await self.courier.retry_due()
                if rounds % FORGET_EVERY_ROUNDS == 0:
                    await asyncio.to_thread(
                        dedupe.forget_requests_older_than, self.settings.database_url, FORGET_REQUESTS_AFTER
                    )
            except Exception:  # the loop must outlive a database or network hiccup
                logger.exception("WeChat housekeeping round failed")


def _configuration_problem(settings: Settings) -> str | None:
    if not settings.wechat_token:
        return "WECHAT_TOKEN is not set"
    if not (settings.wechat_app_id and settings.wechat_app_secret):
        return "WECHAT_APP_ID and WECHAT_APP_SECRET are needed"
    if settings.wechat_aes_key and len(settings.wechat_aes_key) != 43:
        return "WECHAT_AES_KEY must be the 43-character EncodingAESKey"
    return None


def _args(request: Request) -> Dict[str, str]:
    return {name: request.args.get(name, "") for name in ("signature", "timestamp", "nonce", "msg_signature")}


def _unavailable(problem: str) -> HTTPResponse:
    logger.error("WeChat request refused: channel not configured (%s)", problem)
    return response.text("WeChat channel not configured", status=503)


async def _awaiting_address(request: Request, sender: str) -> bool:
    """Whether the resident's open form is asking where (so a shared location answers it)."""
    try:
        tracker = await request.app.ctx.agent.tracker_store.retrieve(sender)
    except Exception:  # a missing tracker store or agent just means: no open form
        logger.exception("could not read the tracker for a shared location")
        return False
    return (
        tracker is not None
        and tracker.active_loop_name in ADDRESS_FORMS
        and tracker.get_slot("requested_slot") == "address"
    )
