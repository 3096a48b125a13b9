"""Tables of the ticket store (SQLAlchemy 1.4, written in its 2.0 style)."""

from __future__ import annotations

import enum
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import (
    JSON,
    Column,
    DateTime,
    Enum,
    Float,
    ForeignKey,
    Integer,
    SmallInteger,
    String,
    Text,
    TypeDecorator,
)
from sqlalchemy.orm import declarative_base, relationship

Base = declarative_base()


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class UTCDateTime(TypeDecorator):
    """Stores UTC and always hands back aware datetimes, on SQLite as on PostgreSQL."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the ticket store; pass an aware one")
        return value.astimezone(timezone.utc)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc)


class TicketKind(str, enum.Enum):
    complaint = "complaint"
    suggestion = "suggestion"
    booking = "booking"
    handoff = "handoff"
    emergency = "emergency"
    legal = "legal"


class TicketStatus(str, enum.Enum):
    new = "new"
    assigned = "assigned"
    in_progress = "in_progress"
    resolved = "resolved"
    closed = "closed"
    cancelled = "cancelled"
    # Closed without a fix, as FixMyStreet and the 12345 hotlines close them:
    duplicate = "duplicate"  # merged into another ticket (merged_into_id)
    referred = "referred"  # not our responsibility; referred_to names the body
    no_action = "no_action"  # looked into, nothing further to do


class StaffRole(str, enum.Enum):
    admin = "admin"  # accounts, catalogue, everything
    staff = "staff"  # tickets of their departments or grids
    viewer = "viewer"  # statistics only


class Priority(int, enum.Enum):
    """Lower sorts first in the staff queue."""

    urgent = 0
    high = 1
    normal = 2


class PostStatus(str, enum.Enum):
    pending = "pending"
    approved = "approved"
    rejected = "rejected"
    closed = "closed"


class PostKind(str, enum.Enum):
    need = "need"
    offer = "offer"


def _enum(kind: type[enum.Enum], name: str) -> Enum:
    """Enums stored as their values in a VARCHAR, so a new value needs no ALTER TYPE."""
    return Enum(
        kind,
        name=name,
        native_enum=False,
        create_constraint=False,
        length=20,
        values_callable=lambda members: [member.value for member in members],
    )


class DailyCounter(Base):
    """The last ticket sequence handed out on a day (Asia/Shanghai date)."""

    __tablename__ = "daily_counters"

    day = Column(String(8), primary_key=True)
    last = Column(Integer, nullable=False, default=0)


class Ticket(Base):
    __tablename__ = "tickets"

    id = Column(Integer, primary_key=True)
    number = Column(String(20), unique=True, nullable=False, index=True)
    kind = Column(_enum(TicketKind, "ticket_kind"), nullable=False, index=True)
    status = Column(_enum(TicketStatus, "ticket_status"), nullable=False, default=TicketStatus.new, index=True)
    category = Column(String(40), nullable=False, default="other")
    department = Column(String(60), nullable=False)
    priority = Column(SmallInteger, nullable=False, default=Priority.normal.value)
    title = Column(String(200), nullable=False)
    description = Column(Text, nullable=False, default="")
    address = Column(String(200))
    channel = Column(String(30), nullable=False, default="rest")
    sender_id = Column(String(128), nullable=False, index=True)
    contact_name = Column(String(60))
    contact_phone = Column(String(30))
    transcript = Column(JSON, nullable=False, default=list)
    deadline = Column(UTCDateTime, nullable=False)
    rating = Column(SmallInteger)
    created_at = Column(UTCDateTime, nullable=False, default=utcnow)
    updated_at = Column(UTCDateTime, nullable=False, default=utcnow, onupdate=utcnow)
    closed_at = Column(UTCDateTime)
    grid = Column(String(40), index=True)  # 网格, from the address
    latitude = Column(Float)
    longitude = Column(Float)
    assignee = Column(String(80), index=True)  # who works on it now
    responsible = Column(String(80))  # 首问负责: whoever claimed it first, until it is closed
    referred_to = Column(String(100))  # the body a ticket outside our responsibility went to
    merged_into_id = Column(Integer, ForeignKey("tickets.id", ondelete="SET NULL"))
    resolution = Column(Text)
    first_response_at = Column(UTCDateTime)
    resolved_at = Column(UTCDateTime)
    rating_requested_at = Column(UTCDateTime)
    # When contact details, transcript and free text were erased (the resident asked, or retention ran out).
    personal_data_purged_at = Column(UTCDateTime, index=True)

    booking = relationship("Booking", back_populates="ticket", uselist=False)
    events = relationship("TicketEvent", back_populates="ticket", order_by="TicketEvent.id")
    attachments = relationship("TicketAttachment", back_populates="ticket", order_by="TicketAttachment.id")
    merged_into = relationship("Ticket", remote_side=[id])

    def __repr__(self) -> str:  # no contact data: this may end up in a log
        return f"<Ticket {self.number} {self.kind} {self.status}>"


class TicketAttachment(Base):
    """Evidence a resident sent for a ticket: a photo (by URL) or a location."""

    __tablename__ = "ticket_attachments"

    id = Column(Integer, primary_key=True)
    ticket_id = Column(Integer, ForeignKey("tickets.id", ondelete="CASCADE"), nullable=False, index=True)
    kind = Column(String(20), nullable=False)  # image | location
    url = Column(String(500))
    latitude = Column(Float)
    longitude = Column(Float)
    label = Column(String(200))
    created_at = Column(UTCDateTime, nullable=False, default=utcnow)

    ticket = relationship("Ticket", back_populates="attachments")


class Booking(Base):
    __tablename__ = "bookings"

    id = Column(Integer, primary_key=True)
    ticket_id = Column(Integer, ForeignKey("tickets.id", ondelete="CASCADE"), unique=True, nullable=False)
    service_id = Column(String(60), nullable=False)
    service_name = Column(String(60), nullable=False)
    scheduled_at = Column(UTCDateTime, nullable=False, index=True)
    at_home = Column(Integer, nullable=False, default=0)

    ticket = relationship("Ticket", back_populates="booking")


class TicketEvent(Base):
    """Append-only history of a ticket: nothing here is ever updated or deleted, except that erasing a
    resident's data or the retention purge scrubs identifying words out of its notes (tickets.privacy)."""

    __tablename__ = "ticket_events"

    id = Column(Integer, primary_key=True)
    ticket_id = Column(Integer, ForeignKey("tickets.id", ondelete="CASCADE"), nullable=False, index=True)
    created_at = Column(UTCDateTime, nullable=False, default=utcnow)
    actor = Column(String(80), nullable=False)
    type = Column(String(40), nullable=False)
    note = Column(Text)
    data = Column(JSON)

    ticket = relationship("Ticket", back_populates="events")


class MutualHelpPost(Base):
    """A neighbour's request or offer in the 邻里圈; visible to others once approved."""

    __tablename__ = "mutual_help_posts"

    id = Column(Integer, primary_key=True)
    kind = Column(_enum(PostKind, "post_kind"), nullable=False)
    status = Column(_enum(PostStatus, "post_status"), nullable=False, default=PostStatus.pending, index=True)
    content = Column(Text, nullable=False)
    when_text = Column(String(100))
    contact_preference = Column(String(100))
    contact_phone = Column(String(30))
    channel = Column(String(30), nullable=False, default="rest")
    sender_id = Column(String(128), nullable=False, index=True)
    reject_reason = Column(Text)
    created_at = Column(UTCDateTime, nullable=False, default=utcnow)
    approved_at = Column(UTCDateTime)


class Feedback(Base):
    __tablename__ = "feedback"

    id = Column(Integer, primary_key=True)
    ticket_id = Column(Integer, ForeignKey("tickets.id", ondelete="SET NULL"), index=True)
    sender_id = Column(String(128), nullable=False, index=True)
    channel = Column(String(30), nullable=False, default="rest")
    rating = Column(SmallInteger)
    comment = Column(Text)
    created_at = Column(UTCDateTime, nullable=False, default=utcnow)


class UnansweredQuestion(Base):
    """A question the catalogue answered below its confidence threshold, counted, so staff know what to add.

    ``question`` is normalised and has phone numbers and other long digit runs masked: no personal data here.
    """

    __tablename__ = "unanswered_questions"

    id = Column(Integer, primary_key=True)
    question = Column(String(300), nullable=False, unique=True)
    count = Column(Integer, nullable=False, default=1)
    candidates = Column(JSON, nullable=False, default=list)
    first_seen = Column(UTCDateTime, nullable=False, default=utcnow)
    last_seen = Column(UTCDateTime, nullable=False, default=utcnow)


class StaffUser(Base):
    """A staff account; ``departments`` and ``grids`` limit which tickets a staff member sees."""

    __tablename__ = "staff_users"

    id = Column(Integer, primary_key=True)
    username = Column(String(80), nullable=False, unique=True)
    display_name = Column(String(80), nullable=False, default="")
    password_hash = Column(String(200), nullable=False)
    role = Column(_enum(StaffRole, "staff_role"), nullable=False, default=StaffRole.staff)
    departments = Column(JSON, nullable=False, default=list)
    grids = Column(JSON, nullable=False, default=list)
    active = Column(Integer, nullable=False, default=1)
    failed_logins = Column(Integer, nullable=False, default=0)
    locked_until = Column(UTCDateTime)
    created_at = Column(UTCDateTime, nullable=False, default=utcnow)


class StaffSession(Base):
    """A login; only the token's SHA-256 is kept, so a copy of the table logs nobody in."""

    __tablename__ = "staff_sessions"

    id = Column(Integer, primary_key=True)
    token_hash = Column(String(64), nullable=False, unique=True)
    user_id = Column(Integer, ForeignKey("staff_users.id", ondelete="CASCADE"), nullable=False, index=True)
    created_at = Column(UTCDateTime, nullable=False, default=utcnow)
    expires_at = Column(UTCDateTime, nullable=False)


class AuditEntry(Base):
    """Append-only: who saw or changed what (every view of full contact data is one row)."""

    __tablename__ = "audit_log"

    id = Column(Integer, primary_key=True)
    at = Column(UTCDateTime, nullable=False, default=utcnow, index=True)
    actor = Column(String(80), nullable=False)
    action = Column(String(40), nullable=False)
    ticket_id = Column(Integer, ForeignKey("tickets.id", ondelete="SET NULL"), index=True)
    detail = Column(JSON)
    client = Column(String(60))


class ConversationErasure(Base):
    """A resident's Rasa conversation still to be emptied after their data was erased.

    The action server cannot empty the conversation it is answering in, so the staff service's
    background loop does it (:mod:`bot.staff.privacy`) and deletes the row, the last place the
    resident's channel id was kept.
    """

    __tablename__ = "conversation_erasures"

    id = Column(Integer, primary_key=True)
    sender_id = Column(String(128), nullable=False, unique=True)
    requested_at = Column(UTCDateTime, nullable=False, default=utcnow)
    attempts = Column(Integer, nullable=False, default=0)
    last_error = Column(String(200))
