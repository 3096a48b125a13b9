"""Entry point for uvicorn: `uvicorn --factory bot.staff.main:build`."""

from __future__ import annotations

import logging

from fastapi import FastAPI

from bot import log_redaction
from bot.settings import get_settings
from bot.staff.app import create_app


def build() -> FastAPI:
    log_redaction.install()
    settings = get_settings()
    logging.basicConfig(level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # httpx logs every request's URL at INFO, and calls to Rasa's API carry its token in the URL.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    return create_app(settings)
