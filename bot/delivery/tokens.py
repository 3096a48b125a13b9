"""API access tokens shared by all processes, with their expiry."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, select

from bot.delivery.db import session_scope
from bot.delivery.tables import AccessToken, utcnow

# Refresh a little before WeChat's expiry, so no call goes out with a token about to lapse.
SAFETY_MARGIN = timedelta(minutes=5)


def cached_token(database_url: str, app_id: str, now: datetime | None = None) -> str | None:
    """The stored token of ``app_id`` if it is still good for a while, else None."""
    with session_scope(database_url) as session:
        row = session.execute(select(AccessToken).where(AccessToken.app_id == app_id)).scalar_one_or_none()
        if row is None or row.expires_at - SAFETY_MARGIN <= (now or utcnow()):
            return None
        return row.token


def store_token(database_url: str, app_id: str, token: str, expires_at: datetime) -> None:
    with session_scope(database_url) as session:
        session.execute(delete(AccessToken).where(AccessToken.app_id == app_id))
        session.add(AccessToken(app_id=app_id, token=token, expires_at=expires_at))


def forget_token(database_url: str, app_id: str, token: str) -> None:
    """Drop ``token`` after WeChat refused it; a token another process already renewed stays."""
    with session_scope(database_url) as session:
        session.execute(delete(AccessToken).where(AccessToken.app_id == app_id, AccessToken.token == token))
