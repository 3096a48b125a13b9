"""What staff do with tickets: the queue, claiming, dispatch, replies, status changes, merging.

States follow civic-ticket practice (FixMyStreet, the 12345 hotlines): besides new → assigned →
in progress → resolved → closed, a ticket can end as a duplicate, referred to the body
responsible, or needing no further action, and it can be reopened. The first staff member to
claim a ticket stays responsible for it until it is closed (首问负责), whoever it is
dispatched to. Every change is an event in the ticket's history; every view of full contact
data is a row in the audit log.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Dict, FrozenSet, Iterable, List, Set

from sqlalchemy import case, or_, select
from sqlalchemy.orm import Session, selectinload

from tickets import repository as repo
from tickets.accounts import StaffIdentity
from tickets.errors import InvalidTransition, NotAllowed, TicketNotFound
from tickets.models import (
    AuditEntry,
    MutualHelpPost,
    PostStatus,
    StaffRole,
    Ticket,
    TicketKind,
    TicketStatus,
)
from tickets.routing import building_number, normalise_address
from tickets.service import TicketService
from tickets.staff_schemas import (
    AuditView,
    PostView,
    QueueFilter,
    Recipient,
    TicketDetail,
    TicketSummary,
    mask_name,
    masked_phone,
)

logger = logging.getLogger(__name__)

S = TicketStatus
OPEN: FrozenSet[TicketStatus] = frozenset(repo.OPEN_STATUSES)
FINISHED_WITHOUT_FIX: FrozenSet[TicketStatus] = frozenset({S.duplicate, S.referred, S.no_action})
TRANSITIONS: Dict[TicketStatus, FrozenSet[TicketStatus]] = {
    S.new: frozenset({S.assigned, S.in_progress, S.resolved, S.referred, S.no_action, S.duplicate, S.cancelled}),
    S.assigned: frozenset({S.in_progress, S.resolved, S.referred, S.no_action, S.duplicate, S.cancelled}),
    S.in_progress: frozenset({S.assigned, S.resolved, S.referred, S.no_action, S.duplicate, S.cancelled}),
    S.resolved: frozenset({S.closed, S.in_progress}),  # in progress again = reopened
    S.closed: frozenset({S.in_progress}),
    S.referred: frozenset({S.in_progress}),
    S.no_action: frozenset({S.in_progress}),
    S.duplicate: frozenset(),
    S.cancelled: frozenset(),
}
DUPLICATE_WINDOW = timedelta(days=3)


def building_of(address: str | None) -> str | None:
    """3栋2单元501 and 三号楼 → 3栋; "幸福小区东门" has no building and is kept whole."""
    if not address:
        return None
    number = building_number(address)
    return f"{number}栋" if number is not None else normalise_address(address)


class StaffDesk:
    """The staff side of the ticket service; each call one transaction."""

    def __init__(self, tickets: TicketService) -> None:
        self.tickets = tickets

    @property
    def clock(self):  # type: ignore[no-untyped-def]
        return self.tickets.clock

    # Reading -------------------------------------------------------------------------------

    def queue(self, who: StaffIdentity, filters: QueueFilter) -> List[TicketSummary]:
        """Emergencies first, then overdue, then by deadline; only what ``who`` handles."""
        now = self.clock()
        statement = select(Ticket)
        if filters.status:
            statement = statement.where(Ticket.status.in_(filters.status))
        elif filters.open_only:
            statement = statement.where(Ticket.status.in_(list(OPEN)))
        for column, value in (
            (Ticket.kind, filters.kind),
            (Ticket.category, filters.category),
            (Ticket.department, filters.department),
            (Ticket.grid, filters.grid),
            (Ticket.channel, filters.channel),
        ):
            if value is not None:
                statement = statement.where(column == value)
        if filters.search:
            pattern = f"%{filters.search.strip()}%"
            statement = statement.where(
                or_(
                    Ticket.number.ilike(pattern),
                    Ticket.title.ilike(pattern),
                    Ticket.description.ilike(pattern),
                    Ticket.address.ilike(pattern),
                )
            )
        statement = statement.where(*self._scope(who))
        overdue = case((Ticket.deadline < now, 0), else_=1)
        statement = statement.order_by(Ticket.priority != 0, overdue, Ticket.deadline, Ticket.id).limit(filters.limit)
        with self.tickets._session() as session:
            return [self._summary(ticket, now) for ticket in session.execute(statement).scalars()]

    def detail(self, who: StaffIdentity, number: str, *, client: str | None = None, audit: bool = True) -> TicketDetail:
        """A ticket's page with full contact data; opening it is written to the audit log
        (``audit=False`` only for the page returned after an action on an already opened ticket)."""
        now = self.clock()
        with self.tickets._session() as session:
            ticket = self._ticket(session, who, number)
            if audit:
                self._audit(session, who, "view_contact", ticket=ticket, client=client)
            return self._detail(session, ticket, now)

    def recipient(self, who: StaffIdentity, number: str) -> Recipient:
        with self.tickets._session() as session:
            ticket = self._ticket(session, who, number)
            return Recipient(ticket_number=ticket.number, conversation_id=ticket.sender_id, channel=ticket.channel)

    def handled_numbers(self, who: StaffIdentity, numbers: Iterable[str]) -> Set[str]:
        """Those of ``numbers`` that are tickets ``who`` handles (for messages that name tickets)."""
        wanted = {number.upper() for number in numbers}
        if not wanted:
            return set()
        statement = select(Ticket.number).where(Ticket.number.in_(sorted(wanted)), *self._scope(who))
        with self.tickets._session() as session:
            return set(session.execute(statement).scalars())

    @staticmethod
    def sees_every_ticket(who: StaffIdentity) -> bool:
        return who.role is StaffRole.admin or (who.role is StaffRole.staff and not (who.departments or who.grids))

    def audit_log(self, *, limit: int = 200) -> List[AuditView]:
        with self.tickets._session() as session:
            rows = session.execute(
                select(AuditEntry, Ticket.number)
                .outerjoin(Ticket, Ticket.id == AuditEntry.ticket_id)
                .order_by(AuditEntry.id.desc())
                .limit(limit)
            )
            return [
                AuditView(
                    at=entry.at,
                    actor=entry.actor,
                    action=entry.action,
                    ticket_number=ticket_number,
                    detail=entry.detail,
                    client=entry.client,
                )
                for entry, ticket_number in rows
            ]

    # Changing ------------------------------------------------------------------------------

    def claim(self, who: StaffIdentity, number: str) -> TicketDetail:
        """Take a ticket on; the first to claim it stays responsible until it is closed."""
        return self._change(who, number, self._claim)

    def _claim(self, session: Session, ticket: Ticket, who: StaffIdentity, now: datetime) -> None:
        if ticket.status not in OPEN:
            raise InvalidTransition(ticket.status.value, S.in_progress.value)
        ticket.assignee = who.username
        ticket.responsible = ticket.responsible or who.username
        ticket.first_response_at = ticket.first_response_at or now
        repo.set_status(session, ticket=ticket, status=S.in_progress, at=now)
        repo.add_event(session, ticket=ticket, actor=_actor(who), type="claimed")

    def assign(
        self,
        who: StaffIdentity,
        number: str,
        *,
        assignee: str | None = None,
        department: str | None = None,
        note: str | None = None,
    ) -> TicketDetail:
        """Dispatch to a colleague or a department (街镇吹哨、部门报到), with a note for them."""
        if not (assignee or department):
            raise ValueError("name a colleague or a department")

        def dispatch(session: Session, ticket: Ticket, who: StaffIdentity, now: datetime) -> None:
            self._check_transition(ticket, S.assigned)
            if department:
                ticket.department = department
            ticket.assignee = assignee
            ticket.responsible = ticket.responsible or who.username
            ticket.first_response_at = ticket.first_response_at or now
            repo.set_status(session, ticket=ticket, status=S.assigned, at=now)
            repo.add_event(
                session,
                ticket=ticket,
                actor=_actor(who),
                type="dispatched",
                note=note,
                data={"assignee": assignee, "department": ticket.department},
            )

        return self._change(who, number, dispatch)

    def record_reply(self, who: StaffIdentity, number: str, text: str) -> Recipient:
        """A staff reply in the ticket's history and transcript; the caller delivers it."""

        def reply(session: Session, ticket: Ticket, who: StaffIdentity, now: datetime) -> None:
            ticket.first_response_at = ticket.first_response_at or now
            ticket.updated_at = now
            repo.append_transcript(
                session, ticket=ticket, lines=[{"role": "staff", "text": text, "at": now.isoformat()}]
            )
            repo.add_event(session, ticket=ticket, actor=_actor(who), type="staff_reply", note=text)

        detail = self._change(who, number, reply)
        return Recipient(ticket_number=detail.number, conversation_id=detail.sender_id, channel=detail.channel)

    def note_delivery(self, number: str, *, delivery_id: int, purpose: str) -> None:
        """Which outbox message carried a reply or notice, so its delivery status can be shown."""
        with self.tickets._session() as session:
            ticket = session.execute(select(Ticket).where(Ticket.number == number)).scalar_one()
            repo.add_event(
                session, ticket=ticket, actor="system", type="delivery", data={"id": delivery_id, "purpose": purpose}
            )

    def set_status(
        self,
        who: StaffIdentity,
        number: str,
        status: TicketStatus,
        *,
        note: str | None = None,
        referred_to: str | None = None,
    ) -> TicketDetail:
        """Any allowed move; resolving needs a note (the resolution), referring names the body."""
        if status is S.duplicate:
            raise ValueError("merge the ticket into another one to mark it a duplicate")
        if status is S.resolved and not (note and note.strip()):
            raise ValueError("a resolution note is needed to resolve a ticket")
        if status is S.referred and not (referred_to and referred_to.strip()):
            raise ValueError("name the body the ticket is referred to")

        def move(session: Session, ticket: Ticket, who: StaffIdentity, now: datetime) -> None:
            previous = ticket.status
            self._check_transition(ticket, status)
            repo.set_status(session, ticket=ticket, status=status, at=now)
            if status is S.resolved:
                ticket.resolution, ticket.resolved_at = note, now
            elif status is S.referred:
                ticket.referred_to, ticket.closed_at = referred_to, now
            elif status is S.no_action:
                ticket.closed_at = now
            elif status is S.in_progress and previous not in OPEN:
                ticket.closed_at = ticket.resolved_at = None
            kind = "reopened" if status is S.in_progress and previous not in OPEN else "status"
            repo.add_event(
                session,
                ticket=ticket,
                actor=_actor(who),
                type=kind,
                note=note,
                data={"from": previous.value, "to": status.value, "referred_to": referred_to},
            )

        return self._change(who, number, move)

    def merge(self, who: StaffIdentity, number: str, *, into: str) -> TicketDetail:
        """Close ``number`` as a duplicate of ``into``; the resident then follows ``into``."""
        if number.upper() == into.upper():
            raise ValueError("a ticket cannot be merged into itself")

        def merge(session: Session, ticket: Ticket, who: StaffIdentity, now: datetime) -> None:
            target = self._ticket(session, who, into)
            if target.status not in OPEN:
                raise InvalidTransition(target.status.value, "merge target must be open")
            self._check_transition(ticket, S.duplicate)
            ticket.merged_into_id = target.id
            ticket.closed_at = now
            repo.set_status(session, ticket=ticket, status=S.duplicate, at=now)
            repo.add_event(session, ticket=ticket, actor=_actor(who), type="merged", data={"into": target.number})
            repo.add_event(session, ticket=target, actor=_actor(who), type="merged_in", data={"from": ticket.number})
            repo.append_transcript(session, ticket=target, lines=list(ticket.transcript or []))

        return self._change(who, number, merge)

    def handoff(self, who: StaffIdentity, number: str, *, taken: bool) -> TicketDetail:
        """Staff take a handed-off conversation over (and are then responsible), or hand it back."""

        def switch(session: Session, ticket: Ticket, who: StaffIdentity, now: datetime) -> None:
            if ticket.kind is not TicketKind.handoff or ticket.status not in OPEN:
                raise InvalidTransition(ticket.status.value, "take over" if taken else "hand back")
            if taken:
                self._claim(session, ticket, who, now)
            repo.add_event(session, ticket=ticket, actor=_actor(who), type="taken_over" if taken else "handed_back")

        return self._change(who, number, switch)

    def mark_rating_requested(self, number: str) -> None:
        with self.tickets._session() as session:
            ticket = session.execute(select(Ticket).where(Ticket.number == number)).scalar_one()
            ticket.rating_requested_at = self.clock()
            repo.add_event(session, ticket=ticket, actor="system", type="rating_requested")

    def reschedule_booking(self, who: StaffIdentity, number: str, *, at: datetime, note: str | None) -> TicketDetail:
        """Move a booking to another time; the caller tells the resident."""

        def move(session: Session, ticket: Ticket, who: StaffIdentity, now: datetime) -> None:
            if ticket.booking is None or ticket.status not in OPEN:
                raise InvalidTransition(ticket.status.value, "reschedule")
            previous = ticket.booking.scheduled_at
            ticket.booking.scheduled_at = at
            ticket.deadline = at
            ticket.updated_at = now
            repo.add_event(
                session,
                ticket=ticket,
                actor=_actor(who),
                type="rescheduled",
                note=note,
                data={"from": previous.isoformat(), "to": at.isoformat()},
            )

        return self._change(who, number, move)

    # Mutual-help posts --------------------------------------------------------------------

    def posts(self, status: PostStatus | None = PostStatus.pending, *, limit: int = 100) -> List[PostView]:
        statement = select(MutualHelpPost).order_by(MutualHelpPost.id.desc()).limit(limit)
        if status is not None:
            statement = statement.where(MutualHelpPost.status == status)
        with self.tickets._session() as session:
            return [_post_view(post) for post in session.execute(statement).scalars()]

    def moderate_post(
        self, who: StaffIdentity, post_id: int, status: PostStatus, *, reason: str | None = None
    ) -> tuple[PostView, Recipient]:
        """Approve, reject (with a reason) or close a post; returns whom to tell."""
        if status is PostStatus.rejected and not (reason and reason.strip()):
            raise ValueError("say why the post is rejected")
        allowed = {
            PostStatus.pending: {PostStatus.approved, PostStatus.rejected},
            PostStatus.approved: {PostStatus.closed},
        }
        with self.tickets._session() as session:
            post = repo.get_post(session, post_id=post_id)
            if post is None:
                raise TicketNotFound(str(post_id))
            if status not in allowed.get(post.status, set()):
                raise InvalidTransition(post.status.value, status.value)
            post.status = status
            if status is PostStatus.approved:
                post.approved_at = self.clock()
            if status is PostStatus.rejected:
                post.reject_reason = reason
            session.add(
                AuditEntry(at=self.clock(), actor=who.username, action=f"post_{status.value}", detail={"post": post_id})
            )
            return _post_view(post), Recipient(
                ticket_number=f"POST-{post.id}", conversation_id=post.sender_id, channel=post.channel
            )

    # Helpers -------------------------------------------------------------------------------

    def _change(self, who: StaffIdentity, number: str, change) -> TicketDetail:  # type: ignore[no-untyped-def]
        if who.role is StaffRole.viewer:
            raise NotAllowed("viewers cannot change tickets")
        now = self.clock()
        with self.tickets._session() as session:
            ticket = self._ticket(session, who, number)
            change(session, ticket, who, now)
            session.flush()
            detail = self._detail(session, ticket, now)
        logger.info("ticket %s changed by %s", number, who.username)
        return detail

    def _ticket(self, session: Session, who: StaffIdentity, number: str) -> Ticket:
        ticket = session.execute(
            select(Ticket)
            .options(selectinload(Ticket.booking), selectinload(Ticket.events), selectinload(Ticket.attachments))
            .where(Ticket.number == number.strip().upper())
        ).scalar_one_or_none()
        if ticket is None:
            raise TicketNotFound(number)
        if not who.handles(department=ticket.department, grid=ticket.grid):
            raise NotAllowed(number)
        return ticket

    @staticmethod
    def _scope(who: StaffIdentity) -> list:
        if who.role is StaffRole.admin or not (who.departments or who.grids):
            return [] if who.role is not StaffRole.viewer else [Ticket.id.is_(None)]
        return [or_(Ticket.department.in_(who.departments), Ticket.grid.in_(who.grids))]

    @staticmethod
    def _check_transition(ticket: Ticket, wanted: TicketStatus) -> None:
        if wanted not in TRANSITIONS.get(ticket.status, frozenset()):
            raise InvalidTransition(ticket.status.value, wanted.value)

    @staticmethod
    def _audit(session: Session, who: StaffIdentity, action: str, *, ticket: Ticket, client: str | None) -> None:
        session.add(AuditEntry(actor=who.username, action=action, ticket_id=ticket.id, client=client))

    def _likely_duplicates(self, session: Session, ticket: Ticket) -> List[str]:
        """Open complaints of the same category at the same building within a few days."""
        building = building_of(ticket.address)
        if ticket.kind is not TicketKind.complaint or building is None:
            return []
        rows = session.execute(
            select(Ticket.number, Ticket.address).where(
                Ticket.id != ticket.id,
                Ticket.kind == TicketKind.complaint,
                Ticket.category == ticket.category,
                Ticket.status.in_(list(OPEN)),
                Ticket.created_at >= ticket.created_at - DUPLICATE_WINDOW,
                Ticket.created_at <= ticket.created_at + DUPLICATE_WINDOW,
            )
        )
        return [number for number, address in rows if building_of(address) == building]

    def _summary(self, ticket: Ticket, now: datetime) -> TicketSummary:
        open_ = ticket.status in OPEN
        return TicketSummary(
            number=ticket.number,
            kind=ticket.kind,
            status=ticket.status,
            category=ticket.category,
            department=ticket.department,
            grid=ticket.grid,
            priority=ticket.priority,
            title=ticket.title,
            address=ticket.address,
            channel=ticket.channel,
            contact_name=mask_name(ticket.contact_name),
            contact_phone=masked_phone(ticket.contact_phone),
            assignee=ticket.assignee,
            responsible=ticket.responsible,
            deadline=ticket.deadline,
            created_at=ticket.created_at,
            overdue=open_ and ticket.deadline < now,
            seconds_left=int((ticket.deadline - now).total_seconds()),
        )

    def _detail(self, session: Session, ticket: Ticket, now: datetime) -> TicketDetail:
        summary = self._summary(ticket, now).dict()
        summary.update(contact_name=ticket.contact_name, contact_phone=ticket.contact_phone)
        session.flush()
        session.expire(ticket, ["events", "attachments"])
        return TicketDetail(
            **summary,
            description=ticket.description,
            sender_id=ticket.sender_id,
            transcript=list(ticket.transcript or []),
            events=ticket.events,
            attachments=ticket.attachments,
            resolution=ticket.resolution,
            referred_to=ticket.referred_to,
            merged_into=ticket.merged_into.number if ticket.merged_into else None,
            rating=ticket.rating,
            first_response_at=ticket.first_response_at,
            resolved_at=ticket.resolved_at,
            closed_at=ticket.closed_at,
            likely_duplicates=self._likely_duplicates(session, ticket),
            allowed_statuses=sorted(TRANSITIONS.get(ticket.status, frozenset()), key=lambda s: s.value),
            booking_time=ticket.booking.scheduled_at if ticket.booking else None,
        )


def _actor(who: StaffIdentity) -> str:
    return f"staff:{who.username}"


def _post_view(post: MutualHelpPost) -> PostView:
    return PostView(
        id=post.id,
        kind=post.kind,
        status=post.status,
        content=post.content,
        when_text=post.when_text,
        contact_phone=masked_phone(post.contact_phone),
        reject_reason=post.reject_reason,
        created_at=post.created_at,
    )
