"""Tables of the duty alarm: who is on duty, in order, every alert sent about an emergency, and
what the resident was told afterwards about the alarm.

Kept beside :mod:`tickets.models` on the same metadata, so the ticket store's migrations own them.
"""

from __future__ import annotations

import enum

from sqlalchemy import Column, ForeignKey, Index, Integer, String
from sqlalchemy.orm import relationship

from tickets.models import Base, UTCDateTime, _enum, utcnow


class AlertRoute(str, enum.Enum):
    console = "console"  # the alarm on every open console page
    duty_group = "duty_group"  # the duty group's chat, through the proactive sender
    gateway = "gateway"  # SMS or phone call to one person's phone
    personal = "personal"  # one person's own chat (WeChat openid, Telegram chat id)


class AlertState(str, enum.Enum):
    pending = "pending"  # not delivered yet (being tried)
    delivered = "delivered"  # the route accepted it
    acknowledged = "acknowledged"  # someone on duty confirmed they are on it
    escalated = "escalated"  # nobody acknowledged in time: the next person was alerted
    failed = "failed"  # the route refused it for good


class DutyMember(Base):
    """One place in the duty roster: alerted in ``position`` order, the next one when nobody answers."""

    __tablename__ = "duty_roster"

    id = Column(Integer, primary_key=True)
    position = Column(Integer, nullable=False, unique=True)
    user_id = Column(Integer, ForeignKey("staff_users.id", ondelete="CASCADE"), nullable=False)
    phone = Column(String(30), nullable=False)
    channel = Column(String(30))  # wechat | telegram, for ``address``
    address = Column(String(128))  # their openid or chat id on ``channel``
    updated_at = Column(UTCDateTime, nullable=False, default=utcnow)

    user = relationship("StaffUser")


class Alert(Base):
    """One alarm about one emergency ticket on one route; ``level`` is the roster place it went to."""

    __tablename__ = "alerts"
    __table_args__ = (Index("ix_alerts_state_next", "state", "next_attempt_at"),)

    id = Column(Integer, primary_key=True)
    ticket_id = Column(Integer, ForeignKey("tickets.id", ondelete="CASCADE"), nullable=False, index=True)
    route = Column(_enum(AlertRoute, "alert_route"), nullable=False)
    state = Column(_enum(AlertState, "alert_state"), nullable=False, default=AlertState.pending)
    level = Column(Integer, nullable=False, default=0)
    target = Column(String(160), nullable=False)  # "console", "telegram:<chat id>", a phone number
    staff_username = Column(String(80))  # whom a gateway or personal alert is for
    attempts = Column(Integer, nullable=False, default=0)
    last_error = Column(String(200))
    outbox_id = Column(Integer)  # the proactive message that carries it (duty group, personal)
    created_at = Column(UTCDateTime, nullable=False, default=utcnow)
    next_attempt_at = Column(UTCDateTime, nullable=False, default=utcnow)
    delivered_at = Column(UTCDateTime)
    acknowledged_at = Column(UTCDateTime)
    acknowledged_by = Column(String(80))
    escalated_at = Column(UTCDateTime)


class FollowUpOutcome(str, enum.Enum):
    reached = "reached"  # an alert reached someone on duty: "已通知值班人员 …"
    not_reached = "not_reached"  # none in time: "请直接拨打值班电话"
    told_in_turn = "told_in_turn"  # an emergency from before follow-ups, answered inside its turn


class EmergencyFollowUp(Base):
    """The message after an emergency's first reply that tells the resident whether the alarm reached
    someone on duty: decided once (never both outcomes), handed to the outbox once."""

    __tablename__ = "emergency_follow_ups"

    ticket_id = Column(Integer, ForeignKey("tickets.id", ondelete="CASCADE"), primary_key=True)
    outcome = Column(_enum(FollowUpOutcome, "follow_up_outcome"), nullable=False)
    reached = Column(String(80))  # whom the alarm reached: a name; none for the duty group
    decided_at = Column(UTCDateTime, nullable=False, default=utcnow)
    next_try_at = Column(UTCDateTime, nullable=False, default=utcnow)  # a lease while it is handed over
    attempts = Column(Integer, nullable=False, default=1)  # the lease's version: every claim bumps it
    told_at = Column(UTCDateTime)  # handed to the outbox (or, before follow-ups, told in the turn)
    outbox_id = Column(Integer)  # the proactive message that tells the resident
