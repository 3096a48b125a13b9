"""The numbered options last shown to a resident, so a reply of "1" can pick one."""

from __future__ import annotations

from typing import List

from sqlalchemy import delete, select

from bot.delivery.db import session_scope
from bot.delivery.tables import ReplyOptions


def remember_options(database_url: str, channel: str, recipient: str, payloads: List[str]) -> None:
    with session_scope(database_url) as session:
        session.execute(
            delete(ReplyOptions).where(ReplyOptions.channel == channel, ReplyOptions.recipient == recipient)
        )
        session.add(ReplyOptions(channel=channel, recipient=recipient, payloads=list(payloads)))


def take_options(database_url: str, channel: str, recipient: str) -> List[str]:
    """The last options shown, which a new message from the resident uses up."""
    with session_scope(database_url) as session:
        row = session.execute(
            select(ReplyOptions).where(ReplyOptions.channel == channel, ReplyOptions.recipient == recipient)
        ).scalar_one_or_none()
        if row is None:
            return []
        payloads = list(row.payloads)
        session.delete(row)
        return payloads


def forget_options(database_url: str, recipient: str) -> None:
    """The options last shown to ``recipient`` on any channel, gone with the rest of their data."""
    with session_scope(database_url) as session:
        session.execute(delete(ReplyOptions).where(ReplyOptions.recipient == recipient))
