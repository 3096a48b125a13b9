"""What the assistant and the staff can do with tickets, each call one transaction."""

from __future__ import annotations

import json
import logging
import re
import threading
import unicodedata
from datetime import datetime
from typing import Callable, List, Sequence

from sqlalchemy.exc import DBAPIError

from text.phones import mask_phones_in
from tickets import repository as repo
from tickets.db import migrate, session_scope
from tickets.errors import TicketNotFound, TicketStoreUnavailable
from tickets.models import (
    Booking,
    Feedback,
    MutualHelpPost,
    PostStatus,
    Priority,
    Ticket,
    TicketAttachment,
    TicketKind,
    TicketStatus,
    utcnow,
)
from tickets.routing import SHANGHAI, Router
from tickets.schemas import (
    BookingCreate,
    BookingPublic,
    EvidenceCreate,
    FeedbackCreate,
    FeedbackPublic,
    PostCreate,
    PostPublic,
    TicketCreate,
    TicketPublic,
    UnansweredQuestionPublic,
)

logger = logging.getLogger(__name__)

PRIORITY_OF_KIND = {
    TicketKind.emergency: Priority.urgent,
    TicketKind.handoff: Priority.high,
}
HIGH_PRIORITY_CATEGORIES = {"lift", "leak_repair"}
REOPENABLE = (TicketStatus.resolved, TicketStatus.closed, TicketStatus.no_action)
QUESTION_MAX_CHARS = 300
CANDIDATES_KEPT = 3
_EDGE_PUNCTUATION = re.compile(r"^[\W_]+|[\W_]+$")


def normalise_question(text: str) -> str:
    """One spelling per question, so repeats are counted together; phone numbers masked.

    Full-width letters and digits become half-width (NFKC), case and spaces are folded and
    punctuation around the question goes: "高龄津贴怎么申请？" and " 高龄津贴怎么申请" count as one.
    """
    folded = mask_phones_in(unicodedata.normalize("NFKC", text)).lower()
    return _EDGE_PUNCTUATION.sub("", " ".join(folded.split()))[:QUESTION_MAX_CHARS]


def _public(ticket: Ticket, latest_reply: str | None = None) -> TicketPublic:
    public = TicketPublic.from_orm(ticket)
    public.latest_reply = latest_reply
    public.merged_into_number = ticket.merged_into.number if ticket.merged_into_id else None
    return public


def _booking_public(ticket: Ticket) -> BookingPublic:
    booking = ticket.booking
    return BookingPublic(
        number=ticket.number,
        service_id=booking.service_id,
        service_name=booking.service_name,
        scheduled_at=booking.scheduled_at,
        at_home=bool(booking.at_home),
        address=ticket.address,
        status=ticket.status,
    )


class TicketService:
    """The only way into the ticket store; safe to share between threads and tasks."""

    def __init__(
        self,
        database_url: str,
        router: Router | None = None,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.database_url = database_url
        self.router = router or Router()
        self.clock = clock
        self._schema_ready = False
        self._schema_lock = threading.Lock()

    def ensure_schema(self) -> None:
        """Migrate once per process before the first use; a database that cannot be reached is
        :class:`TicketStoreUnavailable`, like any later failure."""
        if self._schema_ready:
            return
        with self._schema_lock:
            if not self._schema_ready:
                try:
                    migrate(self.database_url)
                except DBAPIError as exc:
                    logger.error("ticket store schema not ready: %s", exc.__class__.__name__)
                    raise TicketStoreUnavailable(str(exc.orig)) from exc
                self._schema_ready = True

    def _session(self):  # type: ignore[no-untyped-def]
        self.ensure_schema()
        return session_scope(self.database_url)

    def _new_ticket(self, session, data: TicketCreate, *, now: datetime) -> Ticket:  # type: ignore[no-untyped-def]
        kind = TicketKind(data.kind)
        if kind is TicketKind.complaint:
            route = (
                self.router.complaint_route(data.category)
                if data.category
                else self.router.classify_complaint(f"{data.title} {data.description}")
            )
        elif kind is TicketKind.booking:
            route = None
        else:
            route = self.router.for_kind(kind.value)
        day = now.astimezone(SHANGHAI).strftime("%Y%m%d")
        number = f"GD{day}-{repo.next_sequence(session, day=day):04d}"
        priority = PRIORITY_OF_KIND.get(kind, Priority.normal)
        if route is not None and route.id in HIGH_PRIORITY_CATEGORIES:
            priority = Priority.high
        ticket = Ticket(
            number=number,
            kind=kind,
            status=TicketStatus.new,
            category=route.id if route else "booking",
            department=route.department if route else "",
            priority=priority.value,
            title=data.title,
            description=data.description,
            address=data.address,
            grid=self.router.grid_for(data.address),
            channel=data.channel,
            sender_id=data.sender_id,
            contact_name=data.contact_name,
            contact_phone=data.contact_phone,
            transcript=[json.loads(line.json()) for line in data.transcript],  # JSON-safe (datetimes as ISO text)
            deadline=route.deadline_from(now) if route else now,
            created_at=now,
            updated_at=now,
        )
        repo.add_ticket(session, ticket=ticket)
        repo.add_event(session, ticket=ticket, actor=f"resident:{data.channel}", type="created")
        return ticket

    def open_ticket(self, data: TicketCreate) -> TicketPublic:
        """File a complaint, suggestion, handoff, emergency or legal request; committed on return."""
        now = self.clock()
        with self._session() as session:
            ticket = self._new_ticket(session, data, now=now)
            public = _public(ticket)
        logger.info("opened %s ticket %s", public.kind.value, public.number)
        return public

    def book(self, data: BookingCreate, *, department: str) -> BookingPublic:
        """Store a booking as a ticket whose deadline is the booked time."""
        now = self.clock()
        ticket_data = TicketCreate(
            kind=TicketKind.booking,
            title=f"预约：{data.service_name}",
            description=f"{data.service_name}，{data.scheduled_at.astimezone(SHANGHAI):%Y-%m-%d %H:%M}",
            address=data.address,
            channel=data.channel,
            sender_id=data.sender_id,
            contact_phone=data.contact_phone,
            transcript=data.transcript,
        )
        with self._session() as session:
            ticket = self._new_ticket(session, ticket_data, now=now)
            ticket.category = data.service_id
            ticket.department = department
            ticket.deadline = data.scheduled_at
            ticket.booking = Booking(
                service_id=data.service_id,
                service_name=data.service_name,
                scheduled_at=data.scheduled_at,
                at_home=int(data.at_home),
            )
            session.flush()
            public = _booking_public(ticket)
        logger.info("booked %s as %s", data.service_id, public.number)
        return public

    def upcoming_bookings(self, sender_id: str) -> List[BookingPublic]:
        with self._session() as session:
            tickets = repo.upcoming_bookings_of(session, sender_id=sender_id, after=self.clock())
            return [_booking_public(ticket) for ticket in tickets]

    def cancel_booking(self, *, sender_id: str, number: str) -> BookingPublic:
        """Cancel the resident's own open booking; anything else is :class:`TicketNotFound`."""
        now = self.clock()
        with self._session() as session:
            ticket = repo.ticket_of_sender(session, number=number, sender_id=sender_id)
            if ticket is None or ticket.booking is None or ticket.status not in repo.OPEN_STATUSES:
                raise TicketNotFound(number)
            repo.set_status(session, ticket=ticket, status=TicketStatus.cancelled, at=now)
            repo.add_event(session, ticket=ticket, actor="resident", type="cancelled")
            return _booking_public(ticket)

    def tickets_of(self, sender_id: str, *, limit: int = 3) -> List[TicketPublic]:
        """The resident's newest tickets with the latest staff reply of each."""
        with self._session() as session:
            tickets = repo.latest_tickets_of(session, sender_id=sender_id, limit=limit)
            replies = repo.latest_staff_replies(session, ticket_ids=[ticket.id for ticket in tickets])
            return [_public(ticket, replies.get(ticket.id)) for ticket in tickets]

    def ticket_of(self, *, sender_id: str, number: str) -> TicketPublic:
        """One of the resident's own tickets; other residents' tickets do not exist for them."""
        with self._session() as session:
            ticket = repo.ticket_of_sender(session, number=number, sender_id=sender_id)
            if ticket is None:
                raise TicketNotFound(number)
            replies = repo.latest_staff_replies(session, ticket_ids=[ticket.id])
            return _public(ticket, replies.get(ticket.id))

    def reopen(self, *, sender_id: str, number: str, reason: str) -> TicketPublic:
        """The resident says it is not fixed: back to in progress, their words in the history.

        Only the resident's own ticket, and only one that was finished (resolved, closed, or
        closed with no further action); anything else is :class:`TicketNotFound`.
        """
        now = self.clock()
        with self._session() as session:
            ticket = repo.ticket_of_sender(session, number=number, sender_id=sender_id)
            if ticket is None or ticket.status not in REOPENABLE:
                raise TicketNotFound(number)
            previous = ticket.status
            repo.set_status(session, ticket=ticket, status=TicketStatus.in_progress, at=now)
            ticket.closed_at = ticket.resolved_at = None
            repo.add_event(
                session, ticket=ticket, actor="resident", type="reopened", note=reason, data={"from": previous.value}
            )
            public = _public(ticket)
        logger.info("ticket %s reopened by its resident", number)
        return public

    def relay_to_staff(self, *, sender_id: str, text: str) -> str | None:
        """Add what the resident wrote during a handoff to its ticket; returns the ticket number."""
        now = self.clock()
        with self._session() as session:
            ticket = repo.open_ticket_of_kind(session, sender_id=sender_id, kind=TicketKind.handoff)
            if ticket is None:
                return None
            repo.append_transcript(
                session, ticket=ticket, lines=[{"role": "resident", "text": text, "at": now.isoformat()}]
            )
            repo.add_event(session, ticket=ticket, actor="resident", type="message", note=text)
            ticket.updated_at = now
            return ticket.number

    def attach_evidence(self, sender_id: str, evidence: EvidenceCreate) -> str | None:
        """Add a photo or a location to the resident's newest open complaint or emergency.

        Returns its number, or None when the resident has no such ticket open. A first location
        also becomes the ticket's own coordinates (for the map and Open311).
        """
        with self._session() as session:
            ticket = repo.newest_open_ticket_of(
                session, sender_id=sender_id, kinds=(TicketKind.complaint, TicketKind.emergency)
            )
            if ticket is None:
                return None
            session.add(
                TicketAttachment(
                    ticket_id=ticket.id,
                    kind=evidence.kind,
                    url=evidence.url,
                    latitude=evidence.latitude,
                    longitude=evidence.longitude,
                    label=evidence.label,
                    created_at=self.clock(),
                )
            )
            if evidence.kind == "location" and ticket.latitude is None:
                ticket.latitude, ticket.longitude = evidence.latitude, evidence.longitude
            repo.add_event(session, ticket=ticket, actor="resident", type="attachment", data={"kind": evidence.kind})
            ticket.updated_at = self.clock()
            return ticket.number

    def post_help(self, data: PostCreate) -> PostPublic:
        """A neighbour's post waits for staff approval before anyone sees it."""
        with self._session() as session:
            post = repo.add_post(
                session,
                post=MutualHelpPost(
                    kind=data.kind,
                    status=PostStatus.pending,
                    content=data.content,
                    when_text=data.when_text,
                    contact_preference=data.contact_preference,
                    contact_phone=data.contact_phone,
                    channel=data.channel,
                    sender_id=data.sender_id,
                    created_at=self.clock(),
                ),
            )
            return PostPublic.from_orm(post)

    def approve_post(self, post_id: int) -> PostPublic:
        with self._session() as session:
            post = repo.get_post(session, post_id=post_id)
            if post is None:
                raise TicketNotFound(str(post_id))
            post.status = PostStatus.approved
            post.approved_at = self.clock()
            return PostPublic.from_orm(post)

    def open_posts(self, *, limit: int = 5) -> List[PostPublic]:
        with self._session() as session:
            return [PostPublic.from_orm(post) for post in repo.approved_posts(session, limit=limit)]

    def record_feedback(self, data: FeedbackCreate) -> FeedbackPublic:
        """Rate the ticket asked about, else the resident's latest finished one, or keep it as general feedback."""
        with self._session() as session:
            ticket = None
            if data.ticket_number:
                ticket = repo.ticket_of_sender(session, number=data.ticket_number, sender_id=data.sender_id)
            ticket = ticket or repo.latest_finished_ticket_of(session, sender_id=data.sender_id)
            if ticket is not None and data.rating is not None:
                ticket.rating = data.rating
                repo.add_event(session, ticket=ticket, actor="resident", type="rated", data={"rating": data.rating})
            repo.add_feedback(
                session,
                feedback=Feedback(
                    ticket_id=ticket.id if ticket else None,
                    sender_id=data.sender_id,
                    channel=data.channel,
                    rating=data.rating,
                    comment=data.comment,
                    created_at=self.clock(),
                ),
            )
            return FeedbackPublic(
                rating=data.rating, comment=data.comment, ticket_number=ticket.number if ticket else None
            )

    def record_unanswered(self, question: str, candidates: Sequence[str] = ()) -> None:
        """Count a question the catalogue had no confident answer for; ``candidates`` are entry ids, best first."""
        normalised = normalise_question(question)
        if not normalised:
            return
        with self._session() as session:
            repo.count_unanswered(
                session, question=normalised, candidates=list(candidates)[:CANDIDATES_KEPT], at=self.clock()
            )
        logger.info("counted a question without a confident answer (%d candidates)", len(candidates))

    def unanswered_questions(self, limit: int = 50) -> List[UnansweredQuestionPublic]:
        """The questions asked most often without a good answer, then the most recent."""
        with self._session() as session:
            return [UnansweredQuestionPublic.from_orm(row) for row in repo.most_unanswered(session, limit=limit)]
