"""Point Telegram at this assistant: ``python -m bot.channels.telegram_webhook set https://bot.example.org``.

Telegram pushes updates only after ``setWebhook``; the secret token set here is the one the
webhook then demands in every call's ``X-Telegram-Bot-Api-Secret-Token`` header.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys

from telegram import Bot
from telegram.error import TelegramError

from bot.channels.telegram import redacted
from bot.settings import Settings, get_settings

logger = logging.getLogger(__name__)

WEBHOOK_PATH = "/webhooks/telegram/webhook"
ALLOWED_UPDATES = ["message", "callback_query"]  # all the channel answers; Telegram drops the rest


def webhook_url(public_url: str) -> str:
    """The full webhook URL, from where the Rasa server is reachable (with or without the path)."""
    base = public_url.rstrip("/")
    return base if base.endswith(WEBHOOK_PATH) else base + WEBHOOK_PATH


async def set_webhook(settings: Settings, public_url: str) -> str:
    """Registers the webhook and returns its URL; raises ``TelegramError`` when Telegram refuses."""
    if not settings.telegram_token:
        raise SystemExit("TELEGRAM_TOKEN is not set")
    url = webhook_url(public_url)
    async with Bot(settings.telegram_token, base_url=settings.telegram_api_base) as bot:
        await bot.set_webhook(url, secret_token=settings.telegram_secret_token, allowed_updates=ALLOWED_UPDATES)
    return url


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot.channels.telegram_webhook", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    setter = commands.add_parser("set", help="send Telegram's updates to this server")
    setter.add_argument("public_url", help="where Telegram reaches the Rasa server, e.g. https://bot.example.org")
    args = parser.parse_args(argv)
    settings = get_settings()
    logging.basicConfig(level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        url = asyncio.run(set_webhook(settings, args.public_url))
    except TelegramError as exc:
        logger.error("Telegram refused the webhook: %s", redacted(exc, settings.telegram_token or ""))
        return 1
    secured = "with" if settings.telegram_secret_token else "WITHOUT"
    print(f"Telegram now sends updates to {url} ({secured} a secret token)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
