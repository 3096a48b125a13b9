"""Figures for the staff dashboard (统计), aggregated in SQL on SQLite and PostgreSQL alike.

Definitions (the dashboard and the CSV export say the same):

* The period is a range of calendar days in Asia/Shanghai, both ends included; a ticket belongs
  to it by its ``created_at``. Days are counted in Shanghai, not UTC, so a complaint filed at
  07:00 Beijing time counts on that day and not on the day before.
* Intake (tickets per day, per category) counts every ticket filed, bookings and duplicates
  included: it measures what residents asked for.
* The performance figures (限时办结率, response and resolution times) count "handled" tickets
  only: no bookings (their deadline is the booked time, not a time limit), no cancelled tickets
  and no duplicates (the ticket they were merged into is counted instead).
* A ticket is finished (办结) when its status is resolved, closed, referred or no_action; it was
  finished at ``resolved_at``, or at ``closed_at`` when it was closed without a resolution
  (referred elsewhere, nothing to do). A reopened ticket is not finished, whatever it carries.
* 限时办结率 = finished no later than the deadline / tickets that are due. A ticket is due once
  it is finished or its deadline has passed; an open ticket still within its deadline cannot be
  judged yet and is left out, while an open ticket past its deadline counts as late.
* Time to first response: ``first_response_at - created_at`` where a first response is recorded;
  time to resolution: finished at - ``created_at`` over finished tickets.
* 居民满意度: every rating residents gave in the period (``feedback`` rows with a rating, by
  their own time), ratings of no particular ticket included unless a department is chosen.
* Open emergencies are counted now, whatever the period: emergencies not yet finished.
* Unanswered questions: catalogue questions last asked in the period; their ``count`` is since
  they were first asked. They belong to no department, so the department filter does not apply.
"""

from __future__ import annotations

import logging
from datetime import date, datetime, time, timedelta
from typing import Any, Dict, List, Tuple

from pydantic import BaseModel
from sqlalchemy import Float, String, and_, case, func, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.functions import FunctionElement

from tickets.models import (
    Booking,
    Feedback,
    Ticket,
    TicketKind,
    TicketStatus,
    UnansweredQuestion,
)
from tickets.routing import SHANGHAI
from tickets.service import TicketService

logger = logging.getLogger(__name__)

DEFAULT_DAYS = 30
MAX_DAYS = 366  # one value per day goes to the browser; a year is plenty for a dashboard
TOP_UNANSWERED = 10
EMERGENCIES_LISTED = 20
RATINGS = (1, 2, 3, 4, 5)

OPEN_STATUSES = (TicketStatus.new, TicketStatus.assigned, TicketStatus.in_progress)
FINISHED_STATUSES = (TicketStatus.resolved, TicketStatus.closed, TicketStatus.referred, TicketStatus.no_action)
NOT_HANDLED_STATUSES = (TicketStatus.cancelled, TicketStatus.duplicate)

KIND_LABELS: Dict[str, str] = {
    TicketKind.complaint.value: "投诉",
    TicketKind.suggestion.value: "建议",
    TicketKind.booking.value: "预约",
    TicketKind.handoff.value: "转人工",
    TicketKind.emergency.value: "紧急求助",
    TicketKind.legal.value: "法律服务",
}


# --- SQL that differs between the two databases -------------------------------------------------


class shanghai_day(FunctionElement):  # noqa: N801 - reads like the SQL function it renders
    """The Asia/Shanghai calendar day of a UTC timestamp, as 'YYYY-MM-DD' text."""

    type = String()
    inherit_cache = True


@compiles(shanghai_day)
def _shanghai_day_postgresql(element: shanghai_day, compiler: Any, **kw: Any) -> str:
    return f"to_char(({compiler.process(element.clauses, **kw)}) AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD')"


@compiles(shanghai_day, "sqlite")
def _shanghai_day_sqlite(element: shanghai_day, compiler: Any, **kw: Any) -> str:
    # SQLite keeps UTC as text and knows no zones; Shanghai has had no daylight saving since 1991.
    return f"date({compiler.process(element.clauses, **kw)}, '+8 hours')"


class seconds_between(FunctionElement):  # noqa: N801
    """``later - earlier`` in seconds (a float), for averaging durations in the database."""

    type = Float()
    inherit_cache = True


@compiles(seconds_between)
def _seconds_between_postgresql(element: seconds_between, compiler: Any, **kw: Any) -> str:
    later, earlier = (compiler.process(clause, **kw) for clause in element.clauses)
    return f"EXTRACT(EPOCH FROM ({later}) - ({earlier}))"


@compiles(seconds_between, "sqlite")
def _seconds_between_sqlite(element: seconds_between, compiler: Any, **kw: Any) -> str:
    later, earlier = (compiler.process(clause, **kw) for clause in element.clauses)
    return f"((julianday({later}) - julianday({earlier})) * 86400.0)"


# --- What the dashboard gets ---------------------------------------------------------------------


class StatsPeriod(BaseModel):
    since: date
    until: date
    department: str | None = None


class DayCount(BaseModel):
    day: date
    total: int
    by_kind: Dict[str, int]


class CategoryCount(BaseModel):
    """``label`` is the category's name (a booking's: the service's); ``full_label`` names the kind too."""

    kind: TicketKind
    category: str
    label: str
    full_label: str
    count: int


class DeadlineShare(BaseModel):
    """限时办结率: ``rate`` is on_time / due, ``None`` while nothing is due."""

    due: int
    on_time: int
    late: int
    open_overdue: int
    rate: float | None


class Duration(BaseModel):
    tickets: int
    average_hours: float | None


class RatingCount(BaseModel):
    rating: int
    count: int


class Satisfaction(BaseModel):
    ratings: int
    average: float | None
    distribution: List[RatingCount]


class OpenEmergency(BaseModel):
    """No title, address or contact: viewers see statistics only."""

    number: str
    status: TicketStatus
    department: str
    created_at: datetime
    deadline: datetime
    overdue: bool


class UnansweredQuestionCount(BaseModel):
    question: str
    count: int


class UnansweredSummary(BaseModel):
    questions: int
    asked: int
    top: List[UnansweredQuestionCount]


class Stats(BaseModel):
    period: StatsPeriod
    generated_at: datetime
    tickets_created: int
    per_day: List[DayCount]
    per_category: List[CategoryCount]
    within_deadline: DeadlineShare
    first_response: Duration
    resolution: Duration
    satisfaction: Satisfaction
    open_emergencies: int
    emergencies: List[OpenEmergency]
    unanswered: UnansweredSummary
    departments: List[str]
    kind_labels: Dict[str, str]


class InvalidPeriod(ValueError):
    """A period that ends before it starts or is longer than :data:`MAX_DAYS`."""


def default_period(today: date, days: int = DEFAULT_DAYS) -> Tuple[date, date]:
    """The last ``days`` days, today included."""
    return today - timedelta(days=days - 1), today


def _utc_bounds(since: date, until: date) -> Tuple[datetime, datetime]:
    """[start of ``since``, start of the day after ``until``) in Shanghai."""
    return (
        datetime.combine(since, time.min, tzinfo=SHANGHAI),
        datetime.combine(until + timedelta(days=1), time.min, tzinfo=SHANGHAI),
    )


def _hours(seconds: float | None) -> float | None:
    return None if seconds is None else round(float(seconds) / 3600, 2)


class StatsService:
    """Reads the ticket store through :class:`TicketService`'s sessions; never writes."""

    def __init__(self, tickets: TicketService) -> None:
        self.tickets = tickets

    def today(self) -> date:
        return self.tickets.clock().astimezone(SHANGHAI).date()

    def stats(self, since: date | None = None, until: date | None = None, department: str | None = None) -> Stats:
        """All dashboard figures for the days ``since``..``until``, both included.

        ``until`` defaults to today and ``since`` to the start of a 30-day period ending on ``until``.
        """
        until = until or self.today()
        since = since or default_period(until)[0]
        if since > until:
            raise InvalidPeriod("the period ends before it starts")
        if (until - since).days + 1 > MAX_DAYS:
            raise InvalidPeriod(f"the period is longer than {MAX_DAYS} days")
        department = department or None
        now = self.tickets.clock()
        start, end = _utc_bounds(since, until)
        created = and_(Ticket.created_at >= start, Ticket.created_at < end)
        if department is not None:
            created = and_(created, Ticket.department == department)
        with self.tickets._session() as session:
            per_day = self._per_day(session, created, since, until)
            open_emergencies, emergencies = self._open_emergencies(session, department, now)
            stats = Stats(
                period=StatsPeriod(since=since, until=until, department=department),
                generated_at=now,
                tickets_created=sum(day.total for day in per_day),
                per_day=per_day,
                per_category=self._per_category(session, created),
                within_deadline=self._within_deadline(session, created, now),
                first_response=self._first_response(session, created),
                resolution=self._resolution(session, created),
                satisfaction=self._satisfaction(session, start, end, department),
                open_emergencies=open_emergencies,
                emergencies=emergencies,
                unanswered=self._unanswered(session, start, end),
                departments=self._departments(session),
                kind_labels=KIND_LABELS,
            )
        logger.info(
            "statistics for %s..%s%s: %d tickets",
            since,
            until,
            " (one department)" if department else "",
            stats.tickets_created,
        )
        return stats

    # Each figure is one query; ``created`` selects the period's tickets (and the department).

    def _per_day(self, session: Any, created: ColumnElement, since: date, until: date) -> List[DayCount]:
        day = shanghai_day(Ticket.created_at)
        rows = session.execute(
            select(day, Ticket.kind, func.count(Ticket.id)).where(created).group_by(day, Ticket.kind)
        )
        counts: Dict[str, Dict[str, int]] = {}
        for day_text, kind, count in rows:
            counts.setdefault(day_text, {})[TicketKind(kind).value] = count
        days = []
        for offset in range((until - since).days + 1):
            current = since + timedelta(days=offset)
            by_kind = counts.get(current.isoformat(), {})
            days.append(DayCount(day=current, total=sum(by_kind.values()), by_kind=by_kind))
        return days

    def _per_category(self, session: Any, created: ColumnElement) -> List[CategoryCount]:
        names = {route.id: route.name for route in self.tickets.router.complaint_routes}
        names.update({route.id: route.name for route in self.tickets.router.kind_routes.values()})
        rows = session.execute(
            select(Ticket.kind, Ticket.category, func.count(Ticket.id), func.max(Booking.service_name))
            .outerjoin(Booking, Booking.ticket_id == Ticket.id)
            .where(created)
            .group_by(Ticket.kind, Ticket.category)
        )
        found = []
        for kind, category, count, service_name in rows:
            kind = TicketKind(kind)
            label = (service_name or category) if kind is TicketKind.booking else names.get(category, category)
            full_label = label if category == kind.value else f"{KIND_LABELS[kind.value]}·{label}"
            found.append(CategoryCount(kind=kind, category=category, label=label, full_label=full_label, count=count))
        return sorted(found, key=lambda row: (-row.count, row.kind.value, row.category))

    @staticmethod
    def _handled(created: ColumnElement) -> ColumnElement:
        return and_(created, Ticket.kind != TicketKind.booking, Ticket.status.not_in(NOT_HANDLED_STATUSES))

    def _within_deadline(self, session: Any, created: ColumnElement, now: datetime) -> DeadlineShare:
        finished_at = func.coalesce(Ticket.resolved_at, Ticket.closed_at)
        finished = and_(Ticket.status.in_(FINISHED_STATUSES), finished_at.is_not(None))
        overdue_open = and_(Ticket.status.in_(OPEN_STATUSES), Ticket.deadline <= now)
        on_time = and_(finished, finished_at <= Ticket.deadline)
        due, in_time, open_overdue = session.execute(
            select(
                func.coalesce(func.sum(case((finished, 1), (Ticket.deadline <= now, 1), else_=0)), 0),
                func.coalesce(func.sum(case((on_time, 1), else_=0)), 0),
                func.coalesce(func.sum(case((overdue_open, 1), else_=0)), 0),
            ).where(self._handled(created))
        ).one()
        due, in_time, open_overdue = int(due), int(in_time), int(open_overdue)
        return DeadlineShare(
            due=due,
            on_time=in_time,
            late=due - in_time,
            open_overdue=open_overdue,
            rate=round(in_time / due, 4) if due else None,
        )

    def _first_response(self, session: Any, created: ColumnElement) -> Duration:
        count, average = session.execute(
            select(
                func.count(Ticket.first_response_at),
                func.avg(seconds_between(Ticket.first_response_at, Ticket.created_at)),
            ).where(self._handled(created), Ticket.first_response_at.is_not(None))
        ).one()
        return Duration(tickets=count, average_hours=_hours(average))

    def _resolution(self, session: Any, created: ColumnElement) -> Duration:
        finished_at = func.coalesce(Ticket.resolved_at, Ticket.closed_at)
        count, average = session.execute(
            select(func.count(Ticket.id), func.avg(seconds_between(finished_at, Ticket.created_at))).where(
                self._handled(created), Ticket.status.in_(FINISHED_STATUSES), finished_at.is_not(None)
            )
        ).one()
        return Duration(tickets=count, average_hours=_hours(average))

    def _satisfaction(self, session: Any, start: datetime, end: datetime, department: str | None) -> Satisfaction:
        statement = select(Feedback.rating, func.count(Feedback.id)).where(
            Feedback.rating.is_not(None), Feedback.created_at >= start, Feedback.created_at < end
        )
        if department is not None:
            statement = statement.join(Ticket, Ticket.id == Feedback.ticket_id).where(Ticket.department == department)
        counts = dict.fromkeys(RATINGS, 0)
        for rating, count in session.execute(statement.group_by(Feedback.rating)):
            if rating in counts:  # the schema keeps ratings at 1..5; anything else is not a rating
                counts[rating] = count
        total = sum(counts.values())
        average = sum(rating * count for rating, count in counts.items()) / total if total else None
        return Satisfaction(
            ratings=total,
            average=None if average is None else round(average, 2),
            distribution=[RatingCount(rating=rating, count=count) for rating, count in counts.items()],
        )

    def _open_emergencies(self, session: Any, department: str | None, now: datetime) -> Tuple[int, List[OpenEmergency]]:
        condition = and_(Ticket.kind == TicketKind.emergency, Ticket.status.in_(OPEN_STATUSES))
        if department is not None:
            condition = and_(condition, Ticket.department == department)
        count = session.execute(select(func.count(Ticket.id)).where(condition)).scalar_one()
        rows = session.execute(
            select(Ticket.number, Ticket.status, Ticket.department, Ticket.created_at, Ticket.deadline)
            .where(condition)
            .order_by(Ticket.created_at, Ticket.id)
            .limit(EMERGENCIES_LISTED)
        )
        listed = [
            OpenEmergency(
                number=number,
                status=status,
                department=department_name,
                created_at=created_at,
                deadline=deadline,
                overdue=deadline <= now,
            )
            for number, status, department_name, created_at, deadline in rows
        ]
        return count, listed

    def _unanswered(self, session: Any, start: datetime, end: datetime) -> UnansweredSummary:
        seen = and_(UnansweredQuestion.last_seen >= start, UnansweredQuestion.last_seen < end)
        questions, asked = session.execute(
            select(func.count(UnansweredQuestion.id), func.coalesce(func.sum(UnansweredQuestion.count), 0)).where(seen)
        ).one()
        top = session.execute(
            select(UnansweredQuestion.question, UnansweredQuestion.count)
            .where(seen)
            .order_by(UnansweredQuestion.count.desc(), UnansweredQuestion.last_seen.desc(), UnansweredQuestion.id)
            .limit(TOP_UNANSWERED)
        )
        return UnansweredSummary(
            questions=questions,
            asked=int(asked),
            top=[UnansweredQuestionCount(question=question, count=count) for question, count in top],
        )

    @staticmethod
    def _departments(session: Any) -> List[str]:
        """Every department that has tickets, for the dashboard's filter."""
        rows = session.execute(
            select(Ticket.department).where(Ticket.department != "").distinct().order_by(Ticket.department)
        )
        return [name for (name,) in rows]
