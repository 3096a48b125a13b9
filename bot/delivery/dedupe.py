"""Claiming incoming messages, so a message WeChat retries is handled exactly once; refusing replays."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError

from bot.delivery.db import session_scope
from bot.delivery.tables import ProcessedMessage, SeenRequest, utcnow

PROCESSING = "processing"
REPLIED = "replied"
DEFERRED = "deferred"
DONE = "done"
# Longer than any answer takes (the slowest action call times out well before), shorter than
# Telegram's re-delivery after a failed webhook call.
LEASE = timedelta(seconds=90)


@dataclass(frozen=True)
class Outcome:
    status: str
    reply: str | None


def claim(database_url: str, key: str, channel: str, *, lease: timedelta = LEASE) -> bool:
    """True for the first caller with ``key`` (in any process); False for every retry.

    A claim still ``processing`` after ``lease`` belongs to a process that died mid-message:
    the next copy of the message takes it over, so the message is not lost with the process.
    """
    try:
        with session_scope(database_url) as session:
            session.add(ProcessedMessage(key=key, channel=channel, status=PROCESSING))
    except IntegrityError:
        now = utcnow()
        with session_scope(database_url) as session:
            taken_over = session.execute(
                update(ProcessedMessage)
                .where(
                    ProcessedMessage.key == key,
                    ProcessedMessage.status == PROCESSING,
                    ProcessedMessage.created_at < now - lease,
                )
                .values(created_at=now)
            ).rowcount
        return bool(taken_over)
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


def first_use(database_url: str, key: str, body: bytes) -> bool:
    """False when ``key`` (a signed request's timestamp and nonce) came before with another body.

    The same body again is the platform retrying (dedupe by message id handles it), not a replay.
    """
    digest = hashlib.sha256(body).hexdigest()
    try:
        with session_scope(database_url) as session:
            session.add(SeenRequest(key=key, body_digest=digest))
    except IntegrityError:
        with session_scope(database_url) as session:
            seen = session.execute(select(SeenRequest.body_digest).where(SeenRequest.key == key)).scalar_one_or_none()
        return seen == digest
    return True


def forget_requests_older_than(database_url: str, age: timedelta, now: datetime | None = None) -> int:
    """Drop (timestamp, nonce) pairs older than the replay window: their timestamps are refused anyway."""
    cutoff = (now or utcnow()) - age
    with session_scope(database_url) as session:
        return session.execute(delete(SeenRequest).where(SeenRequest.created_at < cutoff)).rowcount
