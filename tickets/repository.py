"""Every query of the ticket store. Each function takes the session first, the rest by keyword."""

from __future__ import annotations

from datetime import datetime
from typing import Any, List, Sequence

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from tickets.models import (
    Booking,
    DailyCounter,
    Feedback,
    MutualHelpPost,
    PostStatus,
    Ticket,
    TicketEvent,
    TicketKind,
    TicketStatus,
    UnansweredQuestion,
)

OPEN_STATUSES = (TicketStatus.new, TicketStatus.assigned, TicketStatus.in_progress)


def _upsert_insert(session: Session):  # type: ignore[no-untyped-def]
    """The dialect's INSERT … ON CONFLICT, where it has one."""
    dialect = session.get_bind().dialect.name
    return {"sqlite": sqlite_insert, "postgresql": postgresql_insert}.get(dialect)


def next_sequence(session: Session, *, day: str) -> int:
    """The next ticket sequence of ``day``; the row lock serialises concurrent writers."""
    insert = _upsert_insert(session)
    if insert is not None:
        session.execute(insert(DailyCounter).values(day=day, last=0).on_conflict_do_nothing())
    elif session.get(DailyCounter, day) is None:
        try:
            with session.begin_nested():
                session.add(DailyCounter(day=day, last=0))
        except IntegrityError:
            pass  # another writer created the day's row first; the update below still counts
    session.execute(update(DailyCounter).where(DailyCounter.day == day).values(last=DailyCounter.last + 1))
    return session.execute(select(DailyCounter.last).where(DailyCounter.day == day)).scalar_one()


def add_ticket(session: Session, *, ticket: Ticket) -> Ticket:
    session.add(ticket)
    session.flush()
    return ticket


def add_event(
    session: Session,
    *,
    ticket: Ticket,
    actor: str,
    type: str,
    note: str | None = None,
    data: dict | None = None,
) -> TicketEvent:
    event = TicketEvent(ticket_id=ticket.id, actor=actor, type=type, note=note, data=data)
    session.add(event)
    return event


def ticket_of_sender(session: Session, *, number: str, sender_id: str) -> Ticket | None:
    statement = (
        select(Ticket)
        .options(selectinload(Ticket.booking))
        .where(Ticket.number == number.upper(), Ticket.sender_id == sender_id)
    )
    return session.execute(statement).scalar_one_or_none()


def latest_tickets_of(session: Session, *, sender_id: str, limit: int) -> List[Ticket]:
    statement = (
        select(Ticket)
        .where(Ticket.sender_id == sender_id)
        .order_by(Ticket.created_at.desc(), Ticket.id.desc())
        .limit(limit)
    )
    return list(session.execute(statement).scalars())


def upcoming_bookings_of(session: Session, *, sender_id: str, after: datetime) -> List[Ticket]:
    statement = (
        select(Ticket)
        .join(Booking)
        .options(selectinload(Ticket.booking))
        .where(
            Ticket.sender_id == sender_id,
            Ticket.kind == TicketKind.booking,
            Ticket.status.in_(OPEN_STATUSES),
            Booking.scheduled_at > after,
        )
        .order_by(Booking.scheduled_at)
    )
    return list(session.execute(statement).scalars())


def open_ticket_of_kind(session: Session, *, sender_id: str, kind: TicketKind) -> Ticket | None:
    statement = (
        select(Ticket)
        .where(Ticket.sender_id == sender_id, Ticket.kind == kind, Ticket.status.in_(OPEN_STATUSES))
        .order_by(Ticket.id.desc())
        .limit(1)
    )
    return session.execute(statement).scalar_one_or_none()


def newest_open_ticket_of(session: Session, *, sender_id: str, kinds: Sequence[TicketKind]) -> Ticket | None:
    statement = (
        select(Ticket)
        .where(Ticket.sender_id == sender_id, Ticket.kind.in_(kinds), Ticket.status.in_(OPEN_STATUSES))
        .order_by(Ticket.id.desc())
        .limit(1)
    )
    return session.execute(statement).scalar_one_or_none()


def latest_finished_ticket_of(session: Session, *, sender_id: str) -> Ticket | None:
    statement = (
        select(Ticket)
        .where(
            Ticket.sender_id == sender_id,
            Ticket.status.in_((TicketStatus.resolved, TicketStatus.closed)),
        )
        .order_by(Ticket.updated_at.desc(), Ticket.id.desc())
        .limit(1)
    )
    return session.execute(statement).scalar_one_or_none()


def latest_staff_replies(session: Session, *, ticket_ids: Sequence[int]) -> dict[int, str]:
    """The newest staff reply note per ticket, for the tickets that have one."""
    if not ticket_ids:
        return {}
    statement = (
        select(TicketEvent.ticket_id, TicketEvent.note)
        .where(TicketEvent.ticket_id.in_(ticket_ids), TicketEvent.type == "staff_reply")
        .order_by(TicketEvent.id)
    )
    return {ticket_id: note for ticket_id, note in session.execute(statement)}


def set_status(session: Session, *, ticket: Ticket, status: TicketStatus, at: datetime) -> None:
    ticket.status = status
    ticket.updated_at = at
    if status in (TicketStatus.closed, TicketStatus.cancelled):
        ticket.closed_at = at


def append_transcript(session: Session, *, ticket: Ticket, lines: List[dict[str, Any]]) -> None:
    ticket.transcript = [*(ticket.transcript or []), *lines]


def add_post(session: Session, *, post: MutualHelpPost) -> MutualHelpPost:
    session.add(post)
    session.flush()
    return post


def approved_posts(session: Session, *, limit: int) -> List[MutualHelpPost]:
    statement = (
        select(MutualHelpPost)
        .where(MutualHelpPost.status == PostStatus.approved)
        .order_by(MutualHelpPost.approved_at.desc(), MutualHelpPost.id.desc())
        .limit(limit)
    )
    return list(session.execute(statement).scalars())


def get_post(session: Session, *, post_id: int) -> MutualHelpPost | None:
    return session.get(MutualHelpPost, post_id)


def add_feedback(session: Session, *, feedback: Feedback) -> Feedback:
    session.add(feedback)
    session.flush()
    return feedback


def count_unanswered(session: Session, *, question: str, candidates: List[str], at: datetime) -> None:
    """Add one to the question's count, a new row the first time (atomic on SQLite and PostgreSQL)."""
    insert = _upsert_insert(session)
    if insert is not None:
        statement = insert(UnansweredQuestion).values(
            question=question, count=1, candidates=candidates, first_seen=at, last_seen=at
        )
        session.execute(
            statement.on_conflict_do_update(
                index_elements=[UnansweredQuestion.question],
                set_={"count": UnansweredQuestion.count + 1, "candidates": candidates, "last_seen": at},
            )
        )
        return
    updated = session.execute(
        update(UnansweredQuestion)
        .where(UnansweredQuestion.question == question)
        .values(count=UnansweredQuestion.count + 1, candidates=candidates, last_seen=at)
    )
    if updated.rowcount == 0:
        session.add(UnansweredQuestion(question=question, count=1, candidates=candidates, first_seen=at, last_seen=at))


def most_unanswered(session: Session, *, limit: int) -> List[UnansweredQuestion]:
    statement = (
        select(UnansweredQuestion)
        .order_by(UnansweredQuestion.count.desc(), UnansweredQuestion.last_seen.desc(), UnansweredQuestion.id)
        .limit(limit)
    )
    return list(session.execute(statement).scalars())
