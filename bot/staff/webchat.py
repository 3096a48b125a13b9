"""The 24-hour web chat: the page, a same-origin relay to Rasa, and the messages that arrive
later (staff replies, ticket updates) with the handoff state.

Later messages are polled (``GET /chat/updates``) rather than pushed through Rasa's socket.io
channel: polling needs no client library in the page and no second origin for the browser,
keeps RASA_API_TOKEN on the server, passes any proxy, and keeps the relay that answers a
resident even when Rasa is down. Every message Rasa sends outside a resident's own turn is in
the conversation's tracker, however it was sent (``trigger_intent``, ``execute``, appended
events), so the tracker is the one place to look.
"""

from __future__ import annotations

import logging
from typing import Any, Dict, List, Tuple

import httpx
from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse
from fastapi.templating import Jinja2Templates
from pydantic import BaseModel, Field

from bot.settings import Settings
from bot.staff.rasa import RasaClient

logger = logging.getLogger(__name__)

SENDER_PATTERN = r"^[A-Za-z0-9_-]+$"
CONVERSATION_PREFIX = "web-"  # web chat conversations are told apart from other channels' in Rasa
HANDOFF_SLOT = "handoff_active"
STAFF_METADATA_KEY = "staff"  # a bot message with this metadata is shown as written by staff
EXTERNAL_PREFIX = "EXTERNAL: "  # Rasa's text for an intent triggered through its API


class ChatMessage(BaseModel):
    sender: str = Field(..., min_length=8, max_length=64, regex=SENDER_PATTERN)
    message: str = Field(..., min_length=1, max_length=2000)


def unavailable_reply(settings: Settings) -> List[Dict[str, Any]]:
    """What a resident reads when the assistant itself cannot answer."""
    return [
        {
            "text": (
                "抱歉，小助手暂时连不上，您的消息这次没有送达。"
                f"请稍后再试，急事请拨社区电话 {settings.duty_phone}。"
                "遇到危险请直接拨打 110、119、120。"
            )
        }
    ]


def _is_resident_turn(event: Dict[str, Any]) -> bool:
    """A message the resident typed (not an intent triggered by staff or a system)."""
    metadata = event.get("metadata") or {}
    return not metadata.get("is_external") and not (event.get("text") or "").startswith(EXTERNAL_PREFIX)


def later_messages(events: List[Dict[str, Any]], after: float) -> Tuple[List[Dict[str, Any]], float]:
    """Bot messages newer than ``after`` that the resident has not already received as answers.

    Answers to a resident's message come back through ``/chat/send``: they are the bot messages
    between that message and Rasa's next ``action_listen`` (Rasa handles one turn of a
    conversation at a time). Everything else was sent while the resident waited. Returns the
    messages and the newest event time, the cursor for the next call.
    """
    in_turn = False
    found: List[Dict[str, Any]] = []
    cursor = after
    for event in events:
        cursor = max(cursor, event.get("timestamp") or 0.0)
        kind = event.get("event")
        if kind == "user":
            in_turn = _is_resident_turn(event)
        elif kind == "action" and event.get("name") == "action_listen":
            in_turn = False
        elif kind == "bot" and not in_turn and (event.get("timestamp") or 0.0) > after:
            buttons = (event.get("data") or {}).get("buttons") or []
            if event.get("text") or buttons:
                found.append(
                    {
                        "text": event.get("text") or "",
                        "buttons": buttons,
                        "staff": bool((event.get("metadata") or {}).get(STAFF_METADATA_KEY)),
                    }
                )
    return found, cursor


def chat_router(settings: Settings, templates: Jinja2Templates) -> APIRouter:
    router = APIRouter()
    rasa = RasaClient(settings)

    @router.get("/chat", response_class=HTMLResponse)
    def chat(request: Request) -> HTMLResponse:
        """The page residents open on their phones; every asset it uses is served here."""
        return templates.TemplateResponse(
            "chat.html",
            {"request": request, "community": settings.community_name, "duty_phone": settings.duty_phone},
        )

    @router.post("/chat/send")
    async def chat_send(message: ChatMessage) -> JSONResponse:
        """Relays the web chat to Rasa's REST channel; a resident always gets a reply."""
        try:
            return JSONResponse(await rasa.say(CONVERSATION_PREFIX + message.sender, message.message))
        except (httpx.HTTPError, ValueError) as exc:
            logger.error("web chat could not reach Rasa: %s", exc.__class__.__name__)
            return JSONResponse(unavailable_reply(settings), status_code=503)

    @router.get("/chat/updates")
    async def chat_updates(
        sender: str = Query(..., min_length=8, max_length=64, regex=SENDER_PATTERN),
        after: float = Query(0.0, ge=0.0),
    ) -> JSONResponse:
        """Messages sent to the resident after ``after`` and whether staff are handling the chat."""
        try:
            tracker = await rasa.tracker(CONVERSATION_PREFIX + sender)
        except (httpx.HTTPError, ValueError) as exc:
            logger.warning("web chat updates unavailable: %s", exc.__class__.__name__)
            return JSONResponse({"error": "unavailable"}, status_code=503)
        messages, cursor = later_messages(tracker.get("events") or [], after)
        handoff = bool((tracker.get("slots") or {}).get(HANDOFF_SLOT))
        return JSONResponse({"messages": messages, "cursor": cursor, "handoff": handoff})

    return router
