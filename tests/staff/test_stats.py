"""Staff statistics: the figures from real tickets (SQLite and PostgreSQL), the JSON and CSV
routes behind the login, and the dashboard page with its vendored chart library."""

from __future__ import annotations

import csv
import io
import re
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Dict

import pytest
from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from fastapi.testclient import TestClient
from sqlalchemy import update

from bot.staff.auth import StaffAuth, login_router
from bot.staff.stats import CSV_HEADER, stats_csv, stats_router
from tests.conftest import Clock
from tests.staff.conftest import ADMIN, bearer
from tickets.accounts import AccountService
from tickets.models import StaffRole, Ticket, TicketStatus
from tickets.routing import SHANGHAI
from tickets.schemas import BookingCreate, FeedbackCreate, TicketCreate
from tickets.service import TicketService
from tickets.stats import InvalidPeriod, StatsService

STAFF = Path(__file__).resolve().parents[2] / "bot" / "staff"
NOW = datetime(2026, 11, 30, 2, 0, tzinfo=timezone.utc)  # Monday 10:00 in Shanghai, as the clock fixture
NOISE_DEPARTMENT = "社区综治办（联动派出所）"
EMERGENCY_DEPARTMENT = "社区值班室"


def at(local: str) -> datetime:
    """A Shanghai wall-clock time, as the aware UTC datetime the store keeps."""
    return datetime.fromisoformat(local).replace(tzinfo=SHANGHAI).astimezone(timezone.utc)


def set_columns(store: TicketService, number: str, **values: object) -> None:
    """What staff actions will do, written directly until they exist."""
    with store._session() as session:
        session.execute(update(Ticket).where(Ticket.number == number).values(**values))


def seed(store: TicketService, clock: Clock) -> Dict[str, str]:
    """Tickets, ratings and unanswered questions around November 2026; returns ticket numbers by name.

    Handled tickets and their deadlines as of NOW (Mon 30 Nov 10:00):
    t1 noise, done after 10h, on time; t2 lift (24h), done after 26h, late; t3 rubbish, open,
    due today 17:30 (not judged yet); t4 suggestion, open, overdue; t5 emergency, open, overdue;
    t6 emergency, done after 30 min, on time; t11 street light referred after 11.5h, on time.
    Only counted as intake: t7 booking, t8 cancelled, t9 duplicate, t10 cancelled.
    Outside the period: t0 (31 Oct, one minute before it starts) and t12 (an emergency still open).
    """

    def file(name: str, local: str, kind: str, category: str | None = None, sender: str | None = None) -> None:
        clock.now = at(local)
        ticket = store.open_ticket(
            TicketCreate(kind=kind, title=f"{name} 的事", category=category, sender_id=sender or f"resident-{name}")
        )
        numbers[name] = ticket.number
        created[name] = ticket.created_at

    numbers: Dict[str, str] = {}
    created: Dict[str, datetime] = {}
    file("t0", "2026-10-31T23:59:00", "complaint", "noise")
    file("t10", "2026-11-01T00:30:00", "complaint", "noise")
    file("t12", "2026-10-20T10:00:00", "emergency")
    file("t4", "2026-11-20T10:00:00", "suggestion")
    file("t11", "2026-11-25T10:00:00", "complaint", "street_light")
    file("t1", "2026-11-28T09:00:00", "complaint", "noise", sender="r1")
    file("t2", "2026-11-29T07:00:00", "complaint", "lift", sender="r2")  # 28 Nov 23:00 UTC
    file("t3", "2026-11-29T12:00:00", "complaint", "rubbish")
    file("t6", "2026-11-29T20:00:00", "emergency")
    file("t5", "2026-11-30T08:30:00", "emergency")
    file("t8", "2026-11-30T09:10:00", "complaint", "rubbish")
    file("t9", "2026-11-30T09:20:00", "complaint", "rubbish")
    clock.now = at("2026-11-30T09:00:00")
    booking = store.book(
        BookingCreate(
            service_id="meal",
            service_name="助餐",
            scheduled_at=at("2026-12-02T11:30:00"),
            sender_id="resident-t7",
            contact_phone="13812345678",
        ),
        department="社区养老服务站",
    )
    numbers["t7"] = booking.number

    def hours_after(name: str, hours: float) -> datetime:
        return created[name] + timedelta(hours=hours)

    resolved = TicketStatus.resolved
    set_columns(
        store, numbers["t1"], status=resolved, first_response_at=hours_after("t1", 1), resolved_at=hours_after("t1", 10)
    )
    set_columns(
        store, numbers["t2"], status=resolved, first_response_at=hours_after("t2", 3), resolved_at=hours_after("t2", 26)
    )
    set_columns(
        store,
        numbers["t6"],
        status=resolved,
        first_response_at=hours_after("t6", 0.25),
        resolved_at=hours_after("t6", 0.5),
    )
    set_columns(
        store, numbers["t11"], status=TicketStatus.referred, referred_to="供电公司", closed_at=hours_after("t11", 11.5)
    )
    set_columns(store, numbers["t12"], status=TicketStatus.in_progress)
    # Not handled: their times must not move any average or the within-deadline share.
    set_columns(store, numbers["t8"], status=TicketStatus.cancelled, first_response_at=hours_after("t8", 50))
    set_columns(store, numbers["t9"], status=TicketStatus.duplicate, deadline=hours_after("t9", -1))
    set_columns(store, numbers["t10"], status=TicketStatus.cancelled, closed_at=hours_after("t10", 1))
    set_columns(store, numbers["t7"], first_response_at=hours_after("t1", 100))

    clock.now = at("2026-10-15T12:00:00")
    store.record_feedback(FeedbackCreate(sender_id="old-resident", rating=1))  # before the period
    clock.now = at("2026-11-30T09:30:00")
    store.record_feedback(FeedbackCreate(sender_id="r1", rating=5))  # rates t1
    store.record_feedback(FeedbackCreate(sender_id="r2", rating=2))  # rates t2
    store.record_feedback(FeedbackCreate(sender_id="someone", rating=4))  # no ticket: general feedback
    store.record_feedback(FeedbackCreate(sender_id="someone", comment="谢谢"))  # no rating

    clock.now = at("2026-10-01T10:00:00")
    store.record_unanswered("很久以前的问题")
    clock.now = at("2026-11-29T10:00:00")
    store.record_unanswered("宠物怎么登记")
    store.record_unanswered("宠物怎么登记？")
    clock.now = at("2026-11-30T09:00:00")
    store.record_unanswered("停车位怎么租")
    clock.now = NOW
    return numbers


@pytest.fixture
def seeded(tickets, clock) -> Dict[str, str]:
    return seed(tickets, clock)


def test_the_figures_of_the_last_30_days(tickets, seeded):
    stats = StatsService(tickets).stats()

    assert (stats.period.since, stats.period.until, stats.period.department) == (
        date(2026, 11, 1),
        date(2026, 11, 30),
        None,
    )
    assert stats.tickets_created == 11
    assert len(stats.per_day) == 30 and stats.per_day[0].day == date(2026, 11, 1)
    per_day = {day.day: (day.total, day.by_kind) for day in stats.per_day if day.total}
    assert per_day == {
        date(2026, 11, 1): (1, {"complaint": 1}),  # 00:30 Shanghai is still 31 Oct in UTC
        date(2026, 11, 20): (1, {"suggestion": 1}),
        date(2026, 11, 25): (1, {"complaint": 1}),
        date(2026, 11, 28): (1, {"complaint": 1}),
        date(2026, 11, 29): (3, {"complaint": 2, "emergency": 1}),  # t2 was filed on 28 Nov in UTC
        date(2026, 11, 30): (4, {"complaint": 2, "emergency": 1, "booking": 1}),
    }

    categories = [(row.kind.value, row.category, row.label, row.count) for row in stats.per_category]
    assert categories[0] == ("complaint", "rubbish", "垃圾清运", 3)
    assert set(categories) == {
        ("complaint", "rubbish", "垃圾清运", 3),
        ("complaint", "noise", "噪音扰民", 2),
        ("emergency", "emergency", "紧急求助", 2),
        ("booking", "meal", "助餐", 1),
        ("complaint", "lift", "电梯故障", 1),
        ("complaint", "street_light", "路灯照明", 1),
        ("suggestion", "suggestion", "居民建议", 1),
    }

    share = stats.within_deadline
    assert (share.due, share.on_time, share.late, share.open_overdue) == (6, 3, 3, 2)
    assert share.rate == pytest.approx(0.5)

    assert stats.first_response.tickets == 3
    assert stats.first_response.average_hours == pytest.approx((1 + 3 + 0.25) / 3, abs=0.01)
    assert stats.resolution.tickets == 4  # t1, t2, t6 and the referred t11
    assert stats.resolution.average_hours == pytest.approx((10 + 26 + 0.5 + 11.5) / 4, abs=0.01)

    satisfaction = stats.satisfaction
    assert satisfaction.ratings == 3
    assert satisfaction.average == pytest.approx(11 / 3, abs=0.01)
    assert [(entry.rating, entry.count) for entry in satisfaction.distribution] == [
        (1, 0),
        (2, 1),
        (3, 0),
        (4, 1),
        (5, 1),
    ]

    # Emergencies are counted as they are now: the October one that is still open too.
    assert stats.open_emergencies == 2
    assert [(item.number, item.status, item.overdue) for item in stats.emergencies] == [
        (seeded["t12"], TicketStatus.in_progress, True),
        (seeded["t5"], TicketStatus.new, True),
    ]

    assert (stats.unanswered.questions, stats.unanswered.asked) == (2, 3)
    assert [(row.question, row.count) for row in stats.unanswered.top] == [("宠物怎么登记", 2), ("停车位怎么租", 1)]

    assert NOISE_DEPARTMENT in stats.departments and "社区养老服务站" in stats.departments
    assert "" not in stats.departments


def test_one_department_and_a_shorter_period(tickets, seeded):
    service = StatsService(tickets)

    noise = service.stats(department=NOISE_DEPARTMENT)
    assert noise.tickets_created == 2  # t1 and the cancelled t10
    assert [(row.category, row.count) for row in noise.per_category] == [("noise", 2)]
    assert (noise.within_deadline.due, noise.within_deadline.on_time) == (1, 1)
    assert noise.within_deadline.rate == pytest.approx(1.0)
    assert noise.satisfaction.ratings == 1 and noise.satisfaction.average == pytest.approx(5.0)
    assert noise.open_emergencies == 0 and noise.emergencies == []
    assert noise.unanswered.questions == 2  # questions belong to no department

    assert service.stats(department=EMERGENCY_DEPARTMENT).open_emergencies == 2

    sunday = service.stats(since=date(2026, 11, 29), until=date(2026, 11, 29))
    assert [(day.day, day.total) for day in sunday.per_day] == [(date(2026, 11, 29), 3)]
    assert sunday.tickets_created == 3
    assert (sunday.within_deadline.due, sunday.within_deadline.on_time) == (2, 1)  # t2 late, t6 on time; t3 not due
    assert sunday.unanswered.questions == 1 and sunday.satisfaction.ratings == 0
    assert sunday.satisfaction.average is None

    october = service.stats(since=date(2026, 10, 1), until=date(2026, 10, 31))
    assert october.tickets_created == 2  # t12 and t0 at 23:59 on 31 Oct


def test_nothing_filed_gives_zeros_not_errors(tickets):
    stats = StatsService(tickets).stats()
    assert stats.tickets_created == 0 and all(day.total == 0 for day in stats.per_day)
    assert stats.within_deadline.rate is None and stats.within_deadline.due == 0
    assert stats.first_response.average_hours is None and stats.resolution.average_hours is None
    assert stats.satisfaction.average is None and stats.satisfaction.ratings == 0
    assert stats.unanswered.questions == 0 and stats.unanswered.asked == 0


def test_a_reopened_ticket_is_not_finished_however_early_it_was_resolved(tickets, clock):
    clock.now = at("2026-11-20T10:00:00")
    ticket = tickets.open_ticket(TicketCreate(kind="complaint", title="楼上装修太吵", category="noise", sender_id="r"))
    set_columns(
        tickets, ticket.number, status=TicketStatus.in_progress, resolved_at=ticket.created_at + timedelta(hours=1)
    )
    clock.now = NOW
    stats = StatsService(tickets).stats()
    share = stats.within_deadline
    assert (share.due, share.on_time, share.open_overdue, share.rate) == (1, 0, 1, 0.0)
    assert stats.resolution.tickets == 0


def test_periods_that_make_no_sense_are_refused(sqlite_url, clock):
    service = StatsService(TicketService(sqlite_url, clock=clock))
    with pytest.raises(InvalidPeriod):
        service.stats(since=date(2026, 11, 30), until=date(2026, 11, 1))
    with pytest.raises(InvalidPeriod):
        service.stats(since=date(2025, 1, 1), until=date(2026, 11, 30))
    only_since = service.stats(since=date(2026, 11, 20))
    assert (only_since.period.since, only_since.period.until) == (date(2026, 11, 20), date(2026, 11, 30))
    only_until = service.stats(until=date(2026, 6, 30))
    assert (only_until.period.since, only_until.period.until) == (date(2026, 6, 1), date(2026, 6, 30))


# --- The routes ----------------------------------------------------------------------------------


def client_for(store: TicketService) -> TestClient:
    """Login, the statistics routes and the static files, as the staff app will mount them."""
    accounts = AccountService(store.database_url, ensure_schema=store.ensure_schema)
    accounts.ensure_admin(*ADMIN)
    auth = StaffAuth(accounts)
    app = FastAPI()
    app.mount("/static", StaticFiles(directory=str(STAFF / "static")), name="static")
    app.include_router(login_router(auth))
    app.include_router(stats_router(auth, store, Jinja2Templates(directory=str(STAFF / "templates"))))
    return TestClient(app)


@pytest.fixture
def store(sqlite_url, clock) -> TicketService:
    return TicketService(sqlite_url, clock=clock)


@pytest.mark.parametrize("path", ["/api/stats", "/api/stats.csv"])
def test_the_figures_need_a_login_and_any_role_may_read_them(store, path):
    client = client_for(store)
    assert client.get(path).status_code == 401
    assert client.get(path, headers={"Authorization": "Bearer not-a-session"}).status_code == 401
    AccountService(store.database_url, ensure_schema=lambda: None).create_user(
        "viewer1", "viewer-pass", role=StaffRole.viewer
    )
    assert client.get(path, headers=bearer(client, "viewer1", "viewer-pass")).status_code == 200
    assert client.get(path, headers=bearer(client)).status_code == 200


def test_the_json_api(store, clock):
    numbers = seed(store, clock)
    client = client_for(store)
    client.headers.update(bearer(client))

    response = client.get("/api/stats")
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    body = response.json()
    assert body["period"] == {"since": "2026-11-01", "until": "2026-11-30", "department": None}
    assert body["tickets_created"] == 11
    assert body["within_deadline"]["rate"] == pytest.approx(0.5)
    assert body["open_emergencies"] == 2 and body["emergencies"][1]["number"] == numbers["t5"]
    assert set(body["emergencies"][0]) == {"number", "status", "department", "created_at", "deadline", "overdue"}
    assert body["kind_labels"]["emergency"] == "紧急求助"

    filtered = client.get(
        "/api/stats", params={"since": "2026-11-29", "until": "2026-11-30", "department": NOISE_DEPARTMENT}
    ).json()
    assert filtered["period"] == {"since": "2026-11-29", "until": "2026-11-30", "department": NOISE_DEPARTMENT}
    assert filtered["tickets_created"] == 0

    assert client.get("/api/stats", params={"since": "2026-11-30", "until": "2026-11-01"}).status_code == 422
    assert client.get("/api/stats", params={"since": "2024-01-01"}).status_code == 422
    assert client.get("/api/stats", params={"since": "yesterday"}).status_code == 422


def test_the_csv_export(store, clock):
    seed(store, clock)
    client = client_for(store)
    response = client.get("/api/stats.csv", params={"since": "2026-11-01"}, headers=bearer(client))
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.headers["content-disposition"] == 'attachment; filename="shequtong-stats-20261101-20261130.csv"'
    assert response.content.startswith(b"\xef\xbb\xbf")  # Excel reads the Chinese as UTF-8
    assert b"\r\n" in response.content

    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert tuple(rows[0]) == CSV_HEADER == ("统计项", "项目", "名称", "数值")
    assert all(len(row) == 4 for row in rows)
    found = {tuple(row) for row in rows[1:]}
    for expected in [
        ("统计区间", "since", "开始日期", "2026-11-01"),
        ("统计区间", "department", "部门", "全部部门"),
        ("工单总数", "tickets_created", "期间新建工单", "11"),
        ("每日工单", "2026-11-29", "合计", "3"),
        ("每日工单", "2026-11-29", "紧急求助", "1"),
        ("每日工单", "2026-11-02", "合计", "0"),
        ("分类工单", "complaint/rubbish", "投诉·垃圾清运", "3"),
        ("分类工单", "emergency/emergency", "紧急求助", "2"),
        ("分类工单", "booking/meal", "预约·助餐", "1"),
        ("限时办结", "due", "应办结工单", "6"),
        ("限时办结", "rate", "限时办结率（%）", "50.0"),
        ("响应与办结", "resolution_hours", "平均办结用时（小时）", "12.0"),
        ("居民满意度", "average", "平均分（1–5分）", "3.67"),
        ("居民满意度", "rating_5", "5分", "1"),
        ("居民满意度", "rating_3", "3分", "0"),
        ("紧急求助", "open_emergencies", "未办结的紧急求助（当前）", "2"),
        ("未答问题", "question", "宠物怎么登记", "2"),
    ]:
        assert expected in found, expected
    assert len([row for row in rows if row[0] == "每日工单" and row[2] == "合计"]) == 30


def test_an_empty_figure_is_an_empty_cell_and_formulas_stay_text(store):
    client = client_for(store)
    rows = list(
        csv.reader(io.StringIO(client.get("/api/stats.csv", headers=bearer(client)).content.decode("utf-8-sig")))
    )
    assert ["限时办结", "rate", "限时办结率（%）", ""] in rows
    text = stats_csv([("未答问题", "question", '=HYPERLINK("x")', 1), ("部门", "x", "@SUM(A1)", "-1")])
    parsed = list(csv.reader(io.StringIO(text.decode("utf-8-sig"))))
    assert parsed[1][2] == '\'=HYPERLINK("x")' and parsed[2][2] == "'@SUM(A1)" and parsed[2][3] == "'-1"


def test_the_dashboard_page(store):
    client = client_for(store)

    anonymous = client.get("/stats", follow_redirects=False)
    assert anonymous.status_code == 303
    assert anonymous.headers["location"] == "/login?next=/stats"

    page = client.get("/stats", headers=bearer(client))
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    html = page.text
    assert '<html lang="zh-CN">' in html and "限时办结率" in html and "居民满意度" in html
    assert f"当前登录：{ADMIN[0]}" in html
    scripts = re.findall(r'<script[^>]*src="([^"]+)"', html)
    assert scripts == ["/static/vendor/chart.umd.min.js", "/static/stats.js"]  # the library first
    assert 'href="/api/stats.csv"' in html
    for path in ("/static/stats.js", "/static/stats.css"):
        assert client.get(path).status_code == 200
    # Offline: nothing the page loads comes from elsewhere.
    for text in (html, client.get("/static/stats.js").text, client.get("/static/stats.css").text):
        assert not re.search(r"https?://|//cdn", text)

    script = client.get("/static/stats.js").text
    assert 'fetch("/api/stats?' in script and 'credentials: "same-origin"' in script
    assert "new Chart(" in script


def test_the_chart_library_is_vendored_with_its_licence(store):
    client = client_for(store)
    library = client.get("/static/vendor/chart.umd.min.js")
    assert library.status_code == 200
    assert re.match(r"/\*!\s*\n \* Chart\.js v4\.", library.text)
    assert "window.Chart=" in library.text.replace(" ", "")  # the UMD build, usable from a plain <script>
    assert len(library.content) > 100_000  # the real library, not a stub
    licence = (STAFF / "static" / "vendor" / "chart.js.LICENSE.md").read_text(encoding="utf-8")
    assert "MIT License" in licence and "Chart.js Contributors" in licence
