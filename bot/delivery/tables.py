"""The channel-state tables, on their own metadata (not part of the ticket store's migrations)."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from sqlalchemy import JSON, Column, DateTime, Index, Integer, String, Text, TypeDecorator
from sqlalchemy.orm import declarative_base

Base = declarative_base()


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class UTCDateTime(TypeDecorator):
    """Aware UTC datetimes in and out, on SQLite (which forgets the zone) as on PostgreSQL."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        return None if value is None else value.astimezone(timezone.utc)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)


class ProcessedMessage(Base):
    """One incoming message or event; the primary key makes a retry lose the race to claim it."""

    __tablename__ = "processed_messages"

    key = Column(String(160), primary_key=True)
    channel = Column(String(16), nullable=False)
    status = Column(String(16), nullable=False)  # processing, replied, deferred, done
    reply = Column(Text)  # the passive reply, so a retry gets the same answer
    created_at = Column(UTCDateTime, nullable=False, default=utcnow)


class SeenRequest(Base):
    """A signed request's (timestamp, nonce), kept for the replay window: the same pair with another
    body is a captured signature reused, as WeChat's plain-mode signature does not cover the body."""

    __tablename__ = "seen_requests"

    key = Column(String(160), primary_key=True)
    body_digest = Column(String(64), nullable=False)
    created_at = Column(UTCDateTime, nullable=False, default=utcnow, index=True)


class AccessToken(Base):
    """The API access token of an app, shared by every process (WeChat allows few refreshes a day)."""

    __tablename__ = "access_tokens"

    app_id = Column(String(64), primary_key=True)
    token = Column(Text, nullable=False)
    expires_at = Column(UTCDateTime, nullable=False)


class OutboxMessage(Base):
    """Every proactive message, written before it is sent, so none is lost."""

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_due", "status", "next_attempt_at"), Index("ix_outbox_recipient", "recipient"))

    id = Column(Integer, primary_key=True, autoincrement=True)
    channel = Column(String(16), nullable=False)
    recipient = Column(String(128), nullable=False)
    body = Column(JSON, nullable=False)
    status = Column(String(16), nullable=False)  # sending, sent, pending (waits for the resident), retrying
    attempts = Column(Integer, nullable=False, default=0)
    last_error = Column(String(200))
    next_attempt_at = Column(UTCDateTime, nullable=False)
    created_at = Column(UTCDateTime, nullable=False, default=utcnow)
    sent_at = Column(UTCDateTime)


class ReplyOptions(Base):
    """The payloads of the numbered options last shown to a resident ("回复 1 …")."""

    __tablename__ = "reply_options"

    channel = Column(String(16), primary_key=True)
    recipient = Column(String(64), primary_key=True)
    payloads = Column(JSON, nullable=False)
    updated_at = Column(UTCDateTime, nullable=False, default=utcnow)
