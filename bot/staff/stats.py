"""Staff statistics (统计): the figures as JSON and CSV, and the dashboard page that charts them.

Every logged-in role may read them, viewers included. What each figure counts is defined in
:mod:`tickets.stats`.

The CSV is in long format, one figure per row, so one file holds every table and opens in Excel
as it is (UTF-8 with a byte order mark, or Excel reads the Chinese as another code page):

    统计项,项目,名称,数值
    每日工单,2026-11-30,合计,12
    每日工单,2026-11-30,投诉,7
    分类工单,complaint/noise,投诉·噪音扰民,3
    限时办结,rate,限时办结率（%）,87.5

``统计项`` names the table, ``项目`` is a stable key for programs (a day, ``kind/category``, a
rating, a figure's name) and ``名称`` is its Chinese label. A figure that cannot be given (an
average of nothing) has an empty ``数值``.
"""

from __future__ import annotations

import csv
import io
import logging
from datetime import date
from typing import Iterable, Iterator, Sequence

from fastapi import APIRouter, Depends, HTTPException, Query, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.templating import Jinja2Templates

from bot.staff.auth import StaffAuth
from tickets.errors import TicketStoreUnavailable
from tickets.routing import SHANGHAI
from tickets.service import TicketService
from tickets.stats import InvalidPeriod, Stats, StatsService

logger = logging.getLogger(__name__)

CSV_HEADER = ("统计项", "项目", "名称", "数值")
CSV_MEDIA_TYPE = "text/csv"  # Starlette adds "; charset=utf-8" to text types
BOM = "\ufeff"
LOGIN_PAGE = "/login?next=/stats"
# A cell starting with one of these is a formula to Excel and LibreOffice; questions come from residents.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
NO_STORE = {"Cache-Control": "no-store"}

Row = Sequence[object]


def _cell(value: object) -> object:
    """Text that a spreadsheet would run as a formula is kept as text (a leading apostrophe)."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return "" if value is None else value


def _percent(rate: float | None) -> float | None:
    return None if rate is None else round(rate * 100, 1)


def stats_rows(stats: Stats) -> Iterator[Row]:
    """The figures of :class:`Stats` as (统计项, 项目, 名称, 数值) rows."""
    period = stats.period
    yield ("统计区间", "since", "开始日期", period.since.isoformat())
    yield ("统计区间", "until", "结束日期", period.until.isoformat())
    yield ("统计区间", "department", "部门", period.department or "全部部门")
    yield (
        "统计区间",
        "generated_at",
        "生成时间（北京时间）",
        f"{stats.generated_at.astimezone(SHANGHAI):%Y-%m-%d %H:%M}",
    )
    yield ("工单总数", "tickets_created", "期间新建工单", stats.tickets_created)
    for day in stats.per_day:
        yield ("每日工单", day.day.isoformat(), "合计", day.total)
        for kind, count in sorted(day.by_kind.items()):
            yield ("每日工单", day.day.isoformat(), stats.kind_labels.get(kind, kind), count)
    for row in stats.per_category:
        yield ("分类工单", f"{row.kind.value}/{row.category}", row.full_label, row.count)
    share = stats.within_deadline
    yield ("限时办结", "due", "应办结工单", share.due)
    yield ("限时办结", "on_time", "按时办结", share.on_time)
    yield ("限时办结", "late", "超时（含超时未办结）", share.late)
    yield ("限时办结", "open_overdue", "超时未办结", share.open_overdue)
    yield ("限时办结", "rate", "限时办结率（%）", _percent(share.rate))
    yield ("响应与办结", "first_response_tickets", "有首次响应的工单", stats.first_response.tickets)
    yield ("响应与办结", "first_response_hours", "平均首次响应用时（小时）", stats.first_response.average_hours)
    yield ("响应与办结", "resolution_tickets", "已办结工单", stats.resolution.tickets)
    yield ("响应与办结", "resolution_hours", "平均办结用时（小时）", stats.resolution.average_hours)
    yield ("居民满意度", "ratings", "评价数", stats.satisfaction.ratings)
    yield ("居民满意度", "average", "平均分（1–5分）", stats.satisfaction.average)
    for entry in stats.satisfaction.distribution:
        yield ("居民满意度", f"rating_{entry.rating}", f"{entry.rating}分", entry.count)
    yield ("紧急求助", "open_emergencies", "未办结的紧急求助（当前）", stats.open_emergencies)
    yield ("未答问题", "questions", "期间被问到的未答问题", stats.unanswered.questions)
    yield ("未答问题", "asked", "这些问题累计被问次数", stats.unanswered.asked)
    for question in stats.unanswered.top:
        yield ("未答问题", "question", question.question, question.count)


def stats_csv(rows: Iterable[Row]) -> bytes:
    """UTF-8 with a byte order mark, CRLF line ends: what Excel opens without asking."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_HEADER)
    writer.writerows([_cell(value) for value in row] for row in rows)
    return (BOM + buffer.getvalue()).encode("utf-8")


def stats_router(auth: StaffAuth, tickets: TicketService, templates: Jinja2Templates) -> APIRouter:
    router = APIRouter()
    service = StatsService(tickets)

    def figures(since: date | None, until: date | None, department: str | None) -> Stats:
        try:
            return service.stats(since=since, until=until, department=department)
        except InvalidPeriod as exc:
            raise HTTPException(status_code=422, detail=str(exc)) from exc
        except TicketStoreUnavailable as exc:
            raise HTTPException(status_code=503, detail="ticket store unavailable") from exc

    since_query = Query(None, description="first day (Asia/Shanghai), default 29 days before `until`")
    until_query = Query(None, description="last day (Asia/Shanghai), included; default today")
    department_query = Query(None, max_length=60, description="only this department's tickets")

    @router.get("/api/stats", response_model=Stats, dependencies=[Depends(auth.anyone)])
    def stats_json(
        response: Response,
        since: date | None = since_query,
        until: date | None = until_query,
        department: str | None = department_query,
    ) -> Stats:
        """The dashboard's figures for a period, optionally for one department."""
        response.headers.update(NO_STORE)
        return figures(since, until, department)

    @router.get("/api/stats.csv", dependencies=[Depends(auth.anyone)])
    def stats_csv_download(
        since: date | None = since_query,
        until: date | None = until_query,
        department: str | None = department_query,
    ) -> Response:
        """The same figures as a CSV file (long format, see the module docstring)."""
        stats = figures(since, until, department)
        filename = f"shequtong-stats-{stats.period.since:%Y%m%d}-{stats.period.until:%Y%m%d}.csv"
        return Response(
            stats_csv(stats_rows(stats)),
            media_type=CSV_MEDIA_TYPE,
            headers={"Content-Disposition": f'attachment; filename="{filename}"', **NO_STORE},
        )

    @router.get("/stats", response_class=HTMLResponse, response_model=None)
    def stats_page(request: Request) -> Response:
        """The dashboard; its script fetches /api/stats. Not logged in: off to the login page."""
        identity = auth.identity_of(request)
        if identity is None:
            return RedirectResponse(LOGIN_PAGE, status_code=303)
        return templates.TemplateResponse(
            "stats.html",
            {"request": request, "user": identity.display_name or identity.username},
            headers=NO_STORE,
        )

    return router
