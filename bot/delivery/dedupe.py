"""Claiming incoming messages, so a message WeChat retries is handled exactly once."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError

from bot.delivery.db import session_scope
from bot.delivery.tables import ProcessedMessage, utcnow

PROCESSING = "processing"
REPLIED = "replied"
DEFERRED = "deferred"
DONE = "done"


@dataclass(frozen=True)
class Outcome:
    status: str
    reply: str | None


def claim(database_url: str, key: str, channel: str) -> bool:
    """True for the first caller with ``key`` (in any process); False for every retry."""
    try:
        with session_scope(database_url) as session:
            session.add(ProcessedMessage(key=key, channel=channel, status=PROCESSING))
    except IntegrityError:
        return False
    return True


def finish(database_url: str, key: str, status: str, reply: str | None = None) -> None:
    with session_scope(database_url) as session:
        session.execute(update(ProcessedMessage).where(ProcessedMessage.key == key).values(status=status, reply=reply))


def outcome(database_url: str, key: str) -> Outcome | None:
    with session_scope(database_url) as session:
        row = session.execute(select(ProcessedMessage).where(ProcessedMessage.key == key)).scalar_one_or_none()
        return None if row is None else Outcome(row.status, row.reply)


def forget_older_than(database_url: str, age: timedelta, now: datetime | None = None) -> int:
    """Drop claims nobody will retry any more (WeChat retries within about 15 seconds)."""
    cutoff = (now or utcnow()) - age
    with session_scope(database_url) as session:
        return session.execute(delete(ProcessedMessage).where(ProcessedMessage.created_at < cutoff)).rowcount
