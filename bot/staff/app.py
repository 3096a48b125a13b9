"""The staff/web service (FastAPI): health and the 24-hour web chat.

Each part brings its own router (see :mod:`bot.staff.webchat`); ``create_app`` only assembles
them, so the staff console and its API can be added the same way.
"""

from __future__ import annotations

import logging
from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from sqlalchemy import text

from bot.settings import Settings
from bot.staff.catalogue_api import catalogue_router
from bot.staff.webchat import chat_router
from tickets.db import get_engine

logger = logging.getLogger(__name__)

HERE = Path(__file__).resolve().parent


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

    app.include_router(chat_router(settings, templates))
    app.include_router(catalogue_router(settings))
    return app
