"""The staff/web service (FastAPI). This first version serves health and the web chat."""

from __future__ import annotations

import logging
from pathlib import Path

import httpx
from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from pydantic import BaseModel, Field
from sqlalchemy import text

from bot.settings import Settings
from tickets.db import get_engine

logger = logging.getLogger(__name__)

HERE = Path(__file__).resolve().parent
RASA_TIMEOUT_SECONDS = 15


class ChatMessage(BaseModel):
    sender: str = Field(..., min_length=8, max_length=64, regex=r"^[A-Za-z0-9_-]+$")
    message: str = Field(..., min_length=1, max_length=2000)


def unavailable_reply(settings: Settings) -> list:
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


def create_app(settings: Settings) -> FastAPI:
    app = FastAPI(title="社区通 staff and web service", docs_url=None, redoc_url=None)
    templates = Jinja2Templates(directory=str(HERE / "templates"))
    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")

    @app.get("/healthz")
    def healthz() -> JSONResponse:
        """200 when the ticket store answers; 503 (and why) when it does not."""
        try:
            with get_engine(settings.database_url).connect() as connection:
                connection.execute(text("SELECT 1"))
        except Exception as exc:  # any failure means unhealthy; the reason goes to the log
            logger.warning("health check failed: %s", exc.__class__.__name__)
            return JSONResponse({"status": "unavailable", "database": "down"}, status_code=503)
        return JSONResponse({"status": "ok", "database": "up"})

    @app.get("/chat", response_class=HTMLResponse)
    def chat(request: Request) -> HTMLResponse:
        """The 24-hour web chat; it talks to Rasa's REST channel directly."""
        return templates.TemplateResponse(
            "chat.html",
            {"request": request, "community": settings.community_name},
        )

    @app.post("/chat/send")
    async def chat_send(message: ChatMessage) -> JSONResponse:
        """Relays the web chat to Rasa's REST channel; a resident always gets a reply."""
        try:
            async with httpx.AsyncClient(timeout=RASA_TIMEOUT_SECONDS) as client:
                response = await client.post(
                    f"{settings.rasa_url}/webhooks/rest/webhook",
                    json={"sender": f"web-{message.sender}", "message": message.message},
                )
            response.raise_for_status()
            return JSONResponse(response.json())
        except (httpx.HTTPError, ValueError) as exc:
            logger.error("web chat could not reach Rasa: %s", exc.__class__.__name__)
            return JSONResponse(unavailable_reply(settings), status_code=503)

    return app
