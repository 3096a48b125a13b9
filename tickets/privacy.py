"""Residents' data rights (PIPL): what is kept about a resident, an export of it, its erasure,
and the retention purge of finished tickets. Every query of these lives here.

A resident is their channel's sender id. Erasing keeps their tickets, so statistics by kind,
status, department, grid and channel stay right, but nothing on them identifies the resident:
contact name and phone blanked, transcripts emptied, free text scrubbed of phones, names and flat
numbers (:func:`text.redact.redact`), the address reduced to the building, attachments
deleted and the sender id replaced by an anonymous one. Posts and feedback are anonymised the
same way. The Rasa conversation is emptied afterwards by the staff service (see
:class:`tickets.models.ConversationErasure`); channel state (outbox, options) is not the ticket
store's and is forgotten by :mod:`bot.privacy`.

The retention purge does the same to tickets finished longer ago than the retention period,
except that the sender id stays (the resident can still ask how an old ticket ended).
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from datetime import datetime, timedelta
from typing import Any, Dict, List, Sequence

from pydantic import BaseModel
from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session, selectinload

from text.redact import redact
from tickets import repository as repo
from tickets.handling import building_of
from tickets.models import (
    AuditEntry,
    ConversationErasure,
    Feedback,
    MutualHelpPost,
    PostStatus,
    Ticket,
    TicketKind,
)
from tickets.routing import building_number
from tickets.service import TicketService
from tickets.staff_schemas import mask_name, masked_phone

logger = logging.getLogger(__name__)

ANONYMOUS_PREFIX = "erased-"
PURGE_BATCH = 200
COORDINATE_DECIMALS = 3  # about 100 m: the block, not the flat


def resident_ref(sender_id: str) -> str:
    """What the audit log keeps of a resident: enough to match an export to an erasure, not the id."""
    return hashlib.sha256(sender_id.encode("utf-8")).hexdigest()[:16]


class KeptData(BaseModel):
    """What the resident hears when they ask what is kept about them: counts, contacts masked."""

    tickets: int
    open_tickets: int
    bookings: int
    posts: int
    feedback: int
    phones: List[str]
    names: List[str]
    buildings: List[str]

    @property
    def empty(self) -> bool:
        return not (self.tickets or self.posts or self.feedback)


class Erasure(BaseModel):
    anonymous_id: str
    tickets: int
    posts: int
    feedback: int
    attachments: int


class Purge(BaseModel):
    tickets: int
    posts: int


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def _building_level(address: str | None) -> str | None:
    """3栋2单元501 → 3栋; a place without a building (幸福小区东门) keeps only what redaction leaves."""
    if not address:
        return address
    return building_of(address) if building_number(address) is not None else redact(address)


def _scrub_text(text: str | None) -> str | None:
    return redact(text) if text else text


def _scrub_ticket(session: Session, ticket: Ticket, now: datetime) -> None:
    """Contact details, transcript and identifying free text off one ticket and its history."""
    transcript = list(ticket.transcript or [])
    if ticket.merged_into is not None and transcript:
        _scrub_lines_in(ticket.merged_into, transcript)
    ticket.contact_name = None
    ticket.contact_phone = None
    ticket.transcript = []
    ticket.title = redact(ticket.title)
    ticket.description = redact(ticket.description or "")
    ticket.resolution = _scrub_text(ticket.resolution)
    ticket.address = _building_level(ticket.address)
    if ticket.latitude is not None and ticket.longitude is not None:
        ticket.latitude = round(ticket.latitude, COORDINATE_DECIMALS)
        ticket.longitude = round(ticket.longitude, COORDINATE_DECIMALS)
    ticket.personal_data_purged_at = now
    for event in ticket.events:
        event.note = _scrub_text(event.note)


def _scrub_lines_in(target: Ticket, lines: Sequence[Dict[str, Any]]) -> None:
    """A merged duplicate's transcript was copied into the ticket it joined: scrub those lines there."""
    copied = {(line.get("role"), line.get("text"), line.get("at")) for line in lines}
    target.transcript = [
        {**line, "text": redact(str(line.get("text") or ""))}
        if (line.get("role"), line.get("text"), line.get("at")) in copied
        else line
        for line in (target.transcript or [])
    ]


def _ticket_export(ticket: Ticket) -> Dict[str, Any]:
    booking = ticket.booking
    return {
        "number": ticket.number,
        "kind": ticket.kind.value,
        "status": ticket.status.value,
        "title": ticket.title,
        "description": ticket.description,
        "address": ticket.address,
        "channel": ticket.channel,
        "contact_name": ticket.contact_name,
        "contact_phone": ticket.contact_phone,
        "department": ticket.department,
        "created_at": _iso(ticket.created_at),
        "closed_at": _iso(ticket.closed_at),
        "rating": ticket.rating,
        "resolution": ticket.resolution,
        "booking": ({"service": booking.service_name, "scheduled_at": _iso(booking.scheduled_at)} if booking else None),
        "transcript": list(ticket.transcript or []),
        "history": [{"at": _iso(event.created_at), "type": event.type, "note": event.note} for event in ticket.events],
        "attachments": [
            {"kind": item.kind, "url": item.url, "latitude": item.latitude, "longitude": item.longitude}
            for item in ticket.attachments
        ],
    }


def _post_export(post: MutualHelpPost) -> Dict[str, Any]:
    return {
        "id": post.id,
        "kind": post.kind.value,
        "status": post.status.value,
        "content": post.content,
        "when": post.when_text,
        "contact_preference": post.contact_preference,
        "contact_phone": post.contact_phone,
        "created_at": _iso(post.created_at),
    }


def _feedback_export(feedback: Feedback) -> Dict[str, Any]:
    return {"rating": feedback.rating, "comment": feedback.comment, "created_at": _iso(feedback.created_at)}


class ResidentData:
    """One resident's data in the ticket store; each call one transaction."""

    def __init__(self, tickets: TicketService) -> None:
        self.tickets = tickets

    @property
    def clock(self):  # type: ignore[no-untyped-def]
        return self.tickets.clock

    def kept(self, sender_id: str) -> KeptData:
        """Counts and masked contacts of the resident with this sender id, and of no one else."""
        with self.tickets._session() as session:
            rows = session.execute(
                select(Ticket.kind, Ticket.status, Ticket.contact_name, Ticket.contact_phone, Ticket.address).where(
                    Ticket.sender_id == sender_id
                )
            ).all()
            post_phones = list(
                session.execute(select(MutualHelpPost.contact_phone).where(MutualHelpPost.sender_id == sender_id))
                .scalars()
                .all()
            )
            feedback = session.execute(
                select(func.count()).select_from(Feedback).where(Feedback.sender_id == sender_id)
            ).scalar_one()
        phones = {row.contact_phone for row in rows if row.contact_phone} | {phone for phone in post_phones if phone}
        return KeptData(
            tickets=len(rows),
            open_tickets=sum(row.status in repo.OPEN_STATUSES for row in rows),
            bookings=sum(row.kind is TicketKind.booking for row in rows),
            posts=len(post_phones),
            feedback=feedback,
            phones=sorted(masked_phone(phone) or "" for phone in phones),
            names=sorted({mask_name(row.contact_name) or "" for row in rows if row.contact_name}),
            buildings=sorted({_building_level(row.address) or "" for row in rows if row.address}),
        )

    def export(self, sender_id: str, *, actor: str, client: str | None = None) -> Dict[str, Any]:
        """Everything kept about the resident, in full, as JSON; the export is audited."""
        now = self.clock()
        with self.tickets._session() as session:
            tickets = (
                session.execute(
                    select(Ticket)
                    .options(
                        selectinload(Ticket.booking), selectinload(Ticket.events), selectinload(Ticket.attachments)
                    )
                    .where(Ticket.sender_id == sender_id)
                    .order_by(Ticket.id)
                )
                .scalars()
                .all()
            )
            posts = session.execute(
                select(MutualHelpPost).where(MutualHelpPost.sender_id == sender_id).order_by(MutualHelpPost.id)
            ).scalars()
            feedback = session.execute(
                select(Feedback).where(Feedback.sender_id == sender_id).order_by(Feedback.id)
            ).scalars()
            exported = {
                "sender_id": sender_id,
                "exported_at": now.isoformat(),
                "tickets": [_ticket_export(ticket) for ticket in tickets],
                "posts": [_post_export(post) for post in posts],
                "feedback": [_feedback_export(item) for item in feedback],
            }
            session.add(
                AuditEntry(
                    at=now,
                    actor=actor,
                    action="resident_export",
                    detail={"resident": resident_ref(sender_id), "tickets": len(exported["tickets"])},
                    client=client,
                )
            )
        return exported

    def erase(self, sender_id: str, *, actor: str, client: str | None = None) -> Erasure:
        """Anonymise everything of the resident, audit it, and queue their conversation to be emptied.

        Safe to repeat: a second erasure finds nothing left under the sender id.
        """
        now = self.clock()
        anonymous_id = ANONYMOUS_PREFIX + secrets.token_hex(8)
        with self.tickets._session() as session:
            tickets = (
                session.execute(
                    select(Ticket)
                    .options(
                        selectinload(Ticket.events),
                        selectinload(Ticket.attachments),
                        selectinload(Ticket.merged_into),
                    )
                    .where(Ticket.sender_id == sender_id)
                )
                .scalars()
                .all()
            )
            attachments = 0
            for ticket in tickets:
                _scrub_ticket(session, ticket, now)
                ticket.sender_id = anonymous_id
                for attachment in list(ticket.attachments):
                    session.delete(attachment)
                    attachments += 1
            posts = session.execute(select(MutualHelpPost).where(MutualHelpPost.sender_id == sender_id)).scalars().all()
            for post in posts:
                post.content = redact(post.content)
                post.reject_reason = _scrub_text(post.reject_reason)
                post.contact_phone = None
                post.contact_preference = None
                post.sender_id = anonymous_id
                if post.status in (PostStatus.pending, PostStatus.approved):
                    post.status = PostStatus.closed  # nobody is left to answer the neighbours
            feedback = session.execute(select(Feedback).where(Feedback.sender_id == sender_id)).scalars().all()
            for item in feedback:
                item.comment = _scrub_text(item.comment)
                item.sender_id = anonymous_id
            erasure = Erasure(
                anonymous_id=anonymous_id,
                tickets=len(tickets),
                posts=len(posts),
                feedback=len(feedback),
                attachments=attachments,
            )
            session.add(
                AuditEntry(
                    at=now,
                    actor=actor,
                    action="resident_erased",
                    detail={"resident": resident_ref(sender_id), **erasure.dict()},
                    client=client,
                )
            )
            self._queue_conversation(session, sender_id, now)
        logger.info("resident data erased by %s: %d tickets, %d posts", actor, erasure.tickets, erasure.posts)
        return erasure

    def purge_expired(self, *, retention: timedelta) -> Purge:
        """Contact details, transcripts and identifying text off tickets finished before the retention
        period, and phone numbers off old posts no longer shown. Idempotent: purged rows are marked."""
        now = self.clock()
        cutoff = now - retention
        finished_at = func.coalesce(Ticket.closed_at, Ticket.resolved_at, Ticket.updated_at)
        purged = 0
        while True:
            with self.tickets._session() as session:
                batch = (
                    session.execute(
                        select(Ticket)
                        .options(selectinload(Ticket.events), selectinload(Ticket.merged_into))
                        .where(
                            Ticket.personal_data_purged_at.is_(None),
                            Ticket.status.notin_(repo.OPEN_STATUSES),
                            finished_at < cutoff,
                        )
                        .order_by(Ticket.id)
                        .limit(PURGE_BATCH)
                    )
                    .scalars()
                    .all()
                )
                for ticket in batch:
                    _scrub_ticket(session, ticket, now)
            purged += len(batch)
            if len(batch) < PURGE_BATCH:
                break
        with self.tickets._session() as session:
            posts = (
                session.execute(
                    select(MutualHelpPost).where(
                        MutualHelpPost.contact_phone.isnot(None),
                        MutualHelpPost.status.in_((PostStatus.closed, PostStatus.rejected)),
                        MutualHelpPost.created_at < cutoff,
                    )
                )
                .scalars()
                .all()
            )
            for post in posts:
                post.contact_phone = None
                post.content = redact(post.content)
        if purged or posts:
            logger.info("retention: purged personal data of %d tickets and %d posts", purged, len(posts))
        return Purge(tickets=purged, posts=len(posts))

    # Conversations still to empty ---------------------------------------------------------

    @staticmethod
    def _queue_conversation(session: Session, sender_id: str, now: datetime) -> None:
        queued = session.execute(
            select(ConversationErasure).where(ConversationErasure.sender_id == sender_id)
        ).scalar_one_or_none()
        if queued is None:
            session.add(ConversationErasure(sender_id=sender_id, requested_at=now, attempts=0))
        else:
            queued.requested_at = now

    def conversations_to_empty(self, *, limit: int = 20) -> List[str]:
        with self.tickets._session() as session:
            return list(
                session.execute(
                    select(ConversationErasure.sender_id).order_by(ConversationErasure.id).limit(limit)
                ).scalars()
            )

    def conversation_emptied(self, sender_id: str) -> None:
        """The last trace of the sender id goes with the queue's row."""
        with self.tickets._session() as session:
            session.execute(delete(ConversationErasure).where(ConversationErasure.sender_id == sender_id))

    def conversation_not_emptied(self, sender_id: str, error: str) -> None:
        with self.tickets._session() as session:
            session.execute(
                update(ConversationErasure)
                .where(ConversationErasure.sender_id == sender_id)
                .values(attempts=ConversationErasure.attempts + 1, last_error=error[:200])
            )
