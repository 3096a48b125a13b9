"""The REST channel (``POST /webhooks/rest/webhook``), Rasa's own made safe for residents.

Same path, same JSON in and out as Rasa's ``RestInput``. Differences: a request that is not
``{"sender": ID, "message": TEXT}`` gets a 400 saying why (Rasa answered 500); floods get 429;
and a resident always gets an answer: the hotline within seconds for an emergency, an honest
note when Rasa fails or is slow, never ``[]`` unless Rasa chose silence (see :mod:`bot.channels.safety`). Streaming
(``?stream=true``) is not offered.
"""

from __future__ import annotations

import json
import logging
from typing import Any, Awaitable, Callable, Dict, List

from rasa.core.channels.channel import CollectingOutputChannel, InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.channels import replies
from bot.channels.limits import WebhookLimits, client_address
from bot.channels.safety import DONE, FAILED, SafetyNet
from bot.settings import Settings, get_settings

logger = logging.getLogger(__name__)

MAX_BODY_BYTES = 1024 * 1024  # a 100,000-character message in escaped JSON is about 600 KB


class BadRequest(Exception):
    """The body is not a message; ``str()`` says what is wrong, for the client."""


class RestInput(InputChannel):
    """``{"sender", "message"[, "metadata", "input_channel"]}`` in, a list of bot messages out."""

    @classmethod
    def name(cls) -> str:
        return "rest"

    @classmethod
    def from_credentials(cls, credentials: Dict[str, Any] | None) -> RestInput:
        return cls(get_settings())

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.net = SafetyNet(settings)
        self.limits = WebhookLimits(settings)

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        webhook = Blueprint("shequtong_rest", __name__)

        @webhook.route("/", methods=["GET"])
        async def health(_request: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @webhook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            if not self.limits.address_allowed(client_address(request)):
                logger.warning("REST webhook: too many messages from one address")
                return response.json([self._says("", replies.RATE_LIMITED)], status=429)
            if len(request.body or b"") > MAX_BODY_BYTES:
                return response.json({"error": "too large", "message": f"at most {MAX_BODY_BYTES} bytes"}, status=413)
            try:
                sender, text, metadata, input_channel = _message_of(request.body or b"")
            except BadRequest as exc:
                return response.json({"error": "bad request", "message": str(exc)}, status=400)
            if not self.limits.sender_allowed(sender):
                logger.warning("REST webhook: too many messages from one sender")
                return response.json([self._says(sender, replies.RATE_LIMITED)], status=429)
            incoming = self.net.prepare(text, metadata)
            if incoming is None:
                return response.json([self._says(sender, replies.EMPTY)])
            collector = CollectingOutputChannel()
            message = UserMessage(
                incoming.text, collector, sender, input_channel=input_channel, metadata=incoming.metadata
            )
            agent = getattr(request.app.ctx, "agent", None)
            watched = await self.net.watch(
                on_new_message(message),
                incoming.text,
                collector.messages,
                agent,
                give_up_after=self.settings.turn_timeout_seconds,
            )
            answers: List[Dict[str, Any]] = []
            if incoming.notice:
                answers.append({"recipient_id": sender, "text": incoming.notice})
            if watched.hotline:
                answers.append({"recipient_id": sender, **watched.hotline})
            answers += collector.messages
            if watched.state == FAILED:
                answers.append(self._says(sender, replies.FAILED))
            elif watched.state != DONE:
                answers.append(self._says(sender, replies.EMERGENCY_LATE if watched.emergency else replies.SLOW))
            # A turn Rasa finished without a word (staff have the conversation) stays [] by design.
            return response.json(answers)

        return webhook

    def _says(self, sender: str, template: str) -> Dict[str, Any]:
        return {"recipient_id": sender, **self.net.text(template)}


def _message_of(body: bytes) -> tuple[str, str, Dict[str, Any] | None, str]:
    """Sender, text, metadata and input channel of a REST request, or :class:`BadRequest`."""
    try:
        data = json.loads(body)
    except ValueError:  # also UnicodeDecodeError
        raise BadRequest('the body must be JSON: {"sender": "...", "message": "..."}') from None
    if not isinstance(data, dict):
        raise BadRequest('the body must be a JSON object: {"sender": "...", "message": "..."}')
    sender, text = data.get("sender"), data.get("message")
    if not isinstance(sender, (str, int)) or isinstance(sender, bool) or not str(sender).strip():
        raise BadRequest('"sender" must be a non-empty string')
    if not isinstance(text, str):
        raise BadRequest('"message" must be a string')
    metadata = data.get("metadata")
    if metadata is not None and not isinstance(metadata, dict):
        raise BadRequest('"metadata" must be a JSON object')
    input_channel = data.get("input_channel") or RestInput.name()
    if not isinstance(input_channel, str):
        raise BadRequest('"input_channel" must be a string')
    return str(sender), text, metadata, input_channel
