"""The outbox: every proactive message is stored before it is sent and until it is sent.

States: ``sending`` (someone holds a lease on it), ``sent``, ``retrying`` (failed, tried
again with backoff) and ``pending`` (the resident is out of reach until they write again,
e.g. WeChat's 48-hour rule; staff see these through :func:`pending_messages`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Dict, List

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from bot.delivery.db import session_scope
from bot.delivery.tables import OutboxMessage, utcnow

SENDING, SENT, RETRYING, PENDING = "sending", "sent", "retrying", "pending"
LEASE = timedelta(minutes=2)  # a sender that died mid-send gives the message back after this
FIRST_BACKOFF = timedelta(seconds=10)
MAX_BACKOFF = timedelta(hours=1)
KEY = "key"  # in a message's body: what makes it the same message (see :func:`enqueue_once`)


@dataclass(frozen=True)
class OutboxItem:
    id: int
    channel: str
    recipient: str
    body: Dict[str, Any]
    status: str
    attempts: int
    last_error: str | None
    created_at: datetime


def _item(row: OutboxMessage) -> OutboxItem:
    return OutboxItem(
        row.id, row.channel, row.recipient, dict(row.body), row.status, row.attempts, row.last_error, row.created_at
    )


def backoff(attempts: int) -> timedelta:
    """10 s, 20 s, 40 s … capped at an hour; a message is retried for as long as it takes."""
    return min(FIRST_BACKOFF * 2 ** max(0, attempts - 1), MAX_BACKOFF)


def enqueue(database_url: str, channel: str, recipient: str, body: Dict[str, Any]) -> OutboxItem:
    """Store a message about to be sent, leased to the caller."""
    with session_scope(database_url) as session:
        return _stored(session, channel, recipient, body)


def _stored(session: Session, channel: str, recipient: str, body: Dict[str, Any]) -> OutboxItem:
    row = OutboxMessage(
        channel=channel, recipient=recipient, body=body, status=SENDING, attempts=1, next_attempt_at=utcnow() + LEASE
    )
    session.add(row)
    session.flush()
    return _item(row)


def enqueue_once(
    database_url: str, channel: str, recipient: str, body: Dict[str, Any], key: str
) -> tuple[OutboxItem, bool]:
    """Like :func:`enqueue`, unless a message with this ``key`` to this recipient was stored before:
    then that one and False, so a sender that stopped after storing it does not send it twice."""
    with session_scope(database_url) as session:
        rows = session.execute(
            select(OutboxMessage).where(OutboxMessage.channel == channel, OutboxMessage.recipient == recipient)
        ).scalars()
        for row in rows:
            if (row.body or {}).get(KEY) == key:
                return _item(row), False
        return _stored(session, channel, recipient, {**body, KEY: key}), True


def earlier_unsent(database_url: str, item: OutboxItem) -> OutboxItem | None:
    """The oldest message to the same resident still waiting before ``item``, which must not overtake it."""
    with session_scope(database_url) as session:
        row = session.execute(
            select(OutboxMessage)
            .where(
                OutboxMessage.channel == item.channel,
                OutboxMessage.recipient == item.recipient,
                OutboxMessage.id < item.id,
                OutboxMessage.status.in_([SENDING, RETRYING, PENDING]),
            )
            .order_by(OutboxMessage.id)
            .limit(1)
        ).scalar_one_or_none()
        return None if row is None else _item(row)


def mark_sent(database_url: str, item_id: int) -> None:
    with session_scope(database_url) as session:
        session.execute(update(OutboxMessage).where(OutboxMessage.id == item_id).values(status=SENT, sent_at=utcnow()))


def mark_pending(database_url: str, item_id: int, error: str) -> None:
    """Out of reach for now: kept until the resident writes again."""
    with session_scope(database_url) as session:
        session.execute(
            update(OutboxMessage).where(OutboxMessage.id == item_id).values(status=PENDING, last_error=error[:200])
        )


def mark_retry(database_url: str, item_id: int, attempts: int, error: str) -> None:
    with session_scope(database_url) as session:
        session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == item_id)
            .values(status=RETRYING, last_error=error[:200], next_attempt_at=utcnow() + backoff(attempts))
        )


def _claim(database_url: str, conditions: list, limit: int) -> List[OutboxItem]:
    """Lease matching messages to this process; a row another process leased first is skipped."""
    now = utcnow()
    claimed: List[OutboxItem] = []
    with session_scope(database_url) as session:
        rows = session.execute(select(OutboxMessage).where(*conditions).order_by(OutboxMessage.id).limit(limit))
        candidates = [(row.id, row.status, row.attempts) for row in rows.scalars()]
    for item_id, status, attempts in candidates:
        with session_scope(database_url) as session:
            won = session.execute(
                update(OutboxMessage)
                .where(
                    OutboxMessage.id == item_id,
                    OutboxMessage.status == status,
                    OutboxMessage.attempts == attempts,  # the version: every claim bumps it
                )
                .values(status=SENDING, attempts=attempts + 1, next_attempt_at=now + LEASE)
            ).rowcount
            if won:
                claimed.append(_item(session.get(OutboxMessage, item_id)))
    return claimed


def claim_due(database_url: str, channel: str, limit: int = 20) -> List[OutboxItem]:
    """``channel``'s messages whose retry time has come, or whose sender's lease ran out."""
    now = utcnow()
    return _claim(
        database_url,
        [
            OutboxMessage.channel == channel,
            OutboxMessage.status.in_([RETRYING, SENDING]),
            OutboxMessage.next_attempt_at <= now,
        ],
        limit,
    )


def claim_pending(database_url: str, channel: str, recipient: str, limit: int = 50) -> List[OutboxItem]:
    """The messages kept for a resident who has just written again, oldest first."""
    return _claim(
        database_url,
        [OutboxMessage.channel == channel, OutboxMessage.recipient == recipient, OutboxMessage.status == PENDING],
        limit,
    )


def pending_messages(database_url: str, channel: str | None = None) -> List[OutboxItem]:
    """For staff: messages waiting until their resident writes again, oldest first."""
    conditions = [OutboxMessage.status == PENDING]
    if channel:
        conditions.append(OutboxMessage.channel == channel)
    with session_scope(database_url) as session:
        rows = session.execute(select(OutboxMessage).where(*conditions).order_by(OutboxMessage.id)).scalars()
        return [_item(row) for row in rows]


def items(database_url: str, ids: List[int]) -> Dict[int, OutboxItem]:
    """Outbox messages by id, for showing staff whether their messages arrived."""
    if not ids:
        return {}
    with session_scope(database_url) as session:
        rows = session.execute(select(OutboxMessage).where(OutboxMessage.id.in_(ids))).scalars()
        return {row.id: _item(row) for row in rows}


def messages_to(database_url: str, channel: str, recipient: str) -> List[OutboxItem]:
    """Everything queued for one resident, for staff views and tests."""
    with session_scope(database_url) as session:
        rows = session.execute(
            select(OutboxMessage)
            .where(OutboxMessage.channel == channel, OutboxMessage.recipient == recipient)
            .order_by(OutboxMessage.id)
        ).scalars()
        return [_item(row) for row in rows]


def forget_recipient(database_url: str, recipient: str) -> int:
    """Every message to ``recipient``, sent or not, deleted: their data was erased (PIPL)."""
    with session_scope(database_url) as session:
        return session.execute(delete(OutboxMessage).where(OutboxMessage.recipient == recipient)).rowcount
