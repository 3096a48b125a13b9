"""The staff/web service (FastAPI): health, the 24-hour web chat, the staff console and its API.

Each part brings its own router; ``create_app`` builds the services once and assembles them.
"""

from __future__ import annotations

import asyncio
import logging
import re
import secrets
from datetime import timedelta
from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from starlette.datastructures import Headers
from starlette.types import Receive, Scope, Send
from starlette_csrf import CSRFMiddleware

from bot.delivery import dedupe
from bot.delivery.proactive import ProactiveSender
from bot.settings import Settings
from bot.staff.alerting import AlertDispatcher, alert_policy, follow_up_sender, gateway_of
from bot.staff.alerts_api import alerts_router
from bot.staff.auth import SESSION_COOKIE, StaffAuth, login_router, sends_authorization
from bot.staff.catalogue_api import catalogue_router
from bot.staff.console import console_router
from bot.staff.health import health_router
from bot.staff.open311 import open311_router
from bot.staff.privacy import PrivacyJobs
from bot.staff.rasa import RasaClient
from bot.staff.residents_api import residents_router
from bot.staff.stats import stats_router
from bot.staff.tickets_api import tickets_router
from bot.staff.webchat import chat_router
from tickets.accounts import AccountService
from tickets.alerts import DutyAlerts
from tickets.handling import StaffDesk
from tickets.privacy import ResidentData
from tickets.service import TicketService

logger = logging.getLogger(__name__)

HERE = Path(__file__).resolve().parent
FORGET_CLAIMS_AFTER = timedelta(days=1)
FORGET_EVERY_SECONDS = 3600
CSRF_HEADER = "x-csrftoken"
CSRF_COOKIE = "csrftoken"
# Residents' pages and machine-to-machine APIs carry no staff cookie-based authority.
CSRF_EXEMPT = [re.compile(r"^/chat(/|$)"), re.compile(r"^/open311/"), re.compile(r"^/api/login$")]


class CookieCSRFMiddleware(CSRFMiddleware):
    """CSRF checks for cookie sessions only.

    A request with an ``Authorization`` header is authenticated by that header alone (see
    :func:`bot.staff.auth.session_token`, which then ignores the cookie, and answers 401 when it is
    empty or malformed), and a browser never adds it to a forged cross-site request, so it needs no
    CSRF token, even if the client kept the cookie.
    """

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and sends_authorization(Headers(scope=scope)):
            await self.app(scope, receive, send)
            return
        await super().__call__(scope, receive, send)


async def forget_old_claims(database_url: str) -> None:
    """The channels' claims on incoming messages are only needed while a platform may still
    re-deliver one; this service, always running, clears the rest for every channel."""
    while True:
        try:
            await asyncio.to_thread(dedupe.forget_older_than, database_url, FORGET_CLAIMS_AFTER)
        except Exception:  # the loop must outlive a database hiccup; the next round tries again
            logger.exception("forgetting old message claims failed")
        await asyncio.sleep(FORGET_EVERY_SECONDS)


def secret_key(settings: Settings) -> str:
    """STAFF_SECRET_KEY, or one generated on first start and kept, so restarts keep tokens valid."""
    if settings.staff_secret_key:
        return settings.staff_secret_key
    path = Path(settings.staff_secret_file)
    if path.exists():
        return path.read_text(encoding="ascii").strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    path.touch(mode=0o600)
    path.write_text(key, encoding="ascii")
    logger.info("generated the staff secret key in %s", path)
    return key


def create_app(settings: Settings) -> FastAPI:
    app = FastAPI(title="社区通 staff and web service", docs_url=None, redoc_url=None)
    templates = Jinja2Templates(directory=str(HERE / "templates"))
    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")
    app.add_middleware(
        CookieCSRFMiddleware,
        secret=secret_key(settings),
        sensitive_cookies={SESSION_COOKIE},
        exempt_urls=CSRF_EXEMPT,
        cookie_name=CSRF_COOKIE,
        header_name=CSRF_HEADER,
        cookie_secure=settings.staff_secure_cookies,
    )

    tickets = TicketService(settings.database_url)
    accounts = AccountService(
        settings.database_url,
        ensure_schema=tickets.ensure_schema,
        session_lifetime=timedelta(hours=settings.staff_session_hours),
    )
    auth = StaffAuth(accounts)
    sender = ProactiveSender(settings)
    alerts = DutyAlerts(tickets, alert_policy(settings))
    residents = ResidentData(tickets)
    privacy = PrivacyJobs(residents, RasaClient(settings), retention=timedelta(days=settings.retention_days))
    background: list[asyncio.Task] = []

    @app.on_event("startup")
    async def start() -> None:
        if settings.staff_admin_user and settings.staff_admin_password:
            await asyncio.to_thread(accounts.ensure_admin, settings.staff_admin_user, settings.staff_admin_password)
        background.append(asyncio.create_task(sender.keep_retrying()))
        background.append(asyncio.create_task(forget_old_claims(settings.database_url)))
        dispatcher = AlertDispatcher(alerts, sender, gateway_of(settings), follow_up_sender(settings, tickets, sender))
        background.append(asyncio.create_task(dispatcher.keep_running()))
        background.append(asyncio.create_task(privacy.keep_running()))

    @app.on_event("shutdown")
    async def stop() -> None:
        for task in background:
            task.cancel()

    app.include_router(health_router(settings))
    app.include_router(chat_router(settings, templates))
    app.include_router(login_router(auth, secure_cookies=settings.staff_secure_cookies))
    app.include_router(catalogue_router(auth, tickets))
    app.include_router(tickets_router(auth, StaffDesk(tickets), accounts, sender))
    app.include_router(stats_router(auth, tickets, templates))
    app.include_router(open311_router(settings, tickets))
    app.include_router(alerts_router(auth, alerts))
    app.include_router(residents_router(auth, residents, privacy))
    app.include_router(console_router(templates, auth, tickets.router))
    return app
