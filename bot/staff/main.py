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
    return create_app(settings)
