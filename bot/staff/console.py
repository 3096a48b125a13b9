"""The staff console's pages: the queue, a ticket's page, post moderation, residents' data and the login page.

The pages are plain HTML shells; ``/static/console.js`` fills them from the JSON API in
:mod:`bot.staff.tickets_api` with the browser's ``staff_session`` cookie and the CSRF header.
Without a login every page except the login page answers 303 to ``/login?next=<the page>``;
``next`` is only ever a path on this site, so the login page cannot be used to send staff
elsewhere (an open redirect).
"""

from __future__ import annotations

import logging
import re
from typing import Any, Dict, List, Tuple
from urllib.parse import quote, urlsplit

from fastapi import APIRouter, HTTPException, Query, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.templating import Jinja2Templates

from bot.staff.auth import StaffAuth
from tickets import holidays
from tickets.accounts import StaffIdentity
from tickets.models import StaffRole
from tickets.routing import Router

logger = logging.getLogger(__name__)

HOME = "/"
# Pages hold residents' contact data: never cached; only this site's own scripts and styles.
PAGE_HEADERS = {
    "Cache-Control": "no-store",
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; "
        "form-action 'self'; frame-ancestors 'none'"
    ),
    "Referrer-Policy": "same-origin",
}
TICKET_NUMBER = re.compile(r"^[A-Za-z0-9-]{1,20}$")
_UNSAFE_IN_NEXT = re.compile(r"[\\\x00-\x20\x7f]")

KIND_LABELS: Dict[str, str] = {
    "complaint": "投诉",
    "suggestion": "建议",
    "booking": "预约",
    "handoff": "转人工",
    "emergency": "紧急求助",
    "legal": "法律服务",
}
STATUS_LABELS: Dict[str, str] = {
    "new": "新工单",
    "assigned": "已派单",
    "in_progress": "处理中",
    "resolved": "已办结",
    "closed": "已关闭",
    "cancelled": "已取消",
    "duplicate": "重复（已合并）",
    "referred": "已转办",
    "no_action": "无需处理",
}
CHANNEL_LABELS: Dict[str, str] = {"rest": "网页聊天", "wechat": "微信", "telegram": "Telegram"}


def safe_next(value: str | None) -> str:
    """``value`` when it is a path on this site (``/tickets/…``), else the console's home.

    ``//evil.example``, ``/\\evil.example``, ``https://…`` and anything with spaces or control
    characters are refused: browsers read them as another site.
    """
    if not value or not value.startswith("/") or value.startswith("//") or _UNSAFE_IN_NEXT.search(value):
        return HOME
    parts = urlsplit(value)
    if parts.scheme or parts.netloc:
        return HOME
    return value


def login_redirect(request: Request) -> RedirectResponse:
    """To the login page, coming back to this page (path and query) afterwards."""
    here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse(f"/login?next={quote(safe_next(here), safe='/')}", status_code=303)


def filter_options(routes: Router) -> Dict[str, List[Tuple[str, str]]]:
    """Choices of the queue's filters: kinds, categories and departments from routes.yml."""
    categories = [(route.id, route.name) for route in routes.complaint_routes]
    categories += [(route.id, route.name) for route in routes.kind_routes.values()]
    departments = sorted(
        {route.department for route in routes.complaint_routes} | {r.department for r in routes.kind_routes.values()}
    )
    return {
        "kinds": list(KIND_LABELS.items()),
        "statuses": list(STATUS_LABELS.items()),
        "channels": list(CHANNEL_LABELS.items()),
        "categories": categories,
        "departments": [(name, name) for name in departments],
    }


def console_router(templates: Jinja2Templates, auth: StaffAuth, routes: Router | None = None) -> APIRouter:
    router = APIRouter()
    options = filter_options(routes or Router())
    labels = {
        "kinds": KIND_LABELS,
        "statuses": STATUS_LABELS,
        "channels": CHANNEL_LABELS,
        "categories": dict(options["categories"]),
    }

    def render(request: Request, template: str, who: StaffIdentity | None, **context: Any) -> Response:
        values = {
            "request": request,
            "user": (who.display_name or who.username) if who else None,
            "can_handle": who is not None and who.role in (StaffRole.admin, StaffRole.staff),
            "is_admin": who is not None and who.role is StaffRole.admin,
            "labels": labels,
            "holiday_warning": holidays.staff_warning() if who else None,
            **context,
        }
        return templates.TemplateResponse(template, values, headers=PAGE_HEADERS)

    @router.get("/", response_class=HTMLResponse, response_model=None)
    def queue_page(request: Request) -> Response:
        """The queue with its filters; the script loads /api/tickets."""
        who = auth.identity_of(request)
        if who is None:
            return login_redirect(request)
        return render(request, "console.html", who, page="queue", options=options)

    @router.get("/login", response_class=HTMLResponse, response_model=None)
    def login_page(request: Request, next_page: str | None = Query(None, alias="next")) -> Response:
        """The login form; whoever is already logged in goes straight on."""
        target = safe_next(next_page)
        if auth.identity_of(request) is not None:
            return RedirectResponse(target, status_code=303)
        return render(request, "login.html", None, page="login", next=target)

    @router.get("/tickets/{number}", response_class=HTMLResponse, response_model=None)
    def ticket_page(number: str, request: Request) -> Response:
        """One ticket in full with every action; the script loads /api/tickets/{number}."""
        if not TICKET_NUMBER.match(number):
            raise HTTPException(status_code=404, detail="没有这个工单")
        who = auth.identity_of(request)
        if who is None:
            return login_redirect(request)
        return render(request, "ticket.html", who, page="ticket", number=number.upper(), options=options)

    @router.get("/posts", response_class=HTMLResponse, response_model=None)
    def posts_page(request: Request) -> Response:
        """Mutual-help posts waiting for moderation."""
        who = auth.identity_of(request)
        if who is None:
            return login_redirect(request)
        return render(request, "posts.html", who, page="posts")

    @router.get("/residents", response_class=HTMLResponse, response_model=None)
    def residents_page(request: Request, sender: str | None = Query(None, max_length=128)) -> Response:
        """One resident's data: what is kept, export, erasure (admins; others read why not)."""
        who = auth.identity_of(request)
        if who is None:
            return login_redirect(request)
        return render(request, "residents.html", who, page="residents", sender=sender or "")

    return router
