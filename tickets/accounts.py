"""Staff accounts and their logins: argon2 password hashes, expiring sessions, lockout.

A session token is handed to the browser once; only its SHA-256 is stored, so the table
alone logs nobody in. Repeated wrong passwords lock the account for a while, so a
password cannot be guessed by trying.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Callable, List, Sequence

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from pydantic import BaseModel
from sqlalchemy import delete, select

from tickets.db import session_scope
from tickets.models import StaffRole, StaffSession, StaffUser, utcnow

logger = logging.getLogger(__name__)

MAX_FAILED_LOGINS = 5
LOCKOUT = timedelta(minutes=15)
SESSION_LIFETIME = timedelta(hours=8)
# Verified against when the user does not exist, so a wrong name costs as long as a wrong password.
_hasher = PasswordHasher()


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    """A hash to verify against when the user does not exist, so that an unknown name takes as
    long as a wrong password; made on the first such login, not at import (argon2 is slow)."""
    return _hasher.hash("not a password of anyone")


class StaffIdentity(BaseModel):
    """Who is logged in and what they may see; never carries the password hash."""

    id: int
    username: str
    display_name: str
    role: StaffRole
    departments: List[str]
    grids: List[str]

    class Config:
        orm_mode = True

    def handles(self, *, department: str | None, grid: str | None) -> bool:
        """Admins handle everything; staff their departments or grids (all, when given none)."""
        if self.role is StaffRole.admin:
            return True
        if self.role is not StaffRole.staff:
            return False
        if not self.departments and not self.grids:
            return True
        return (department in self.departments) or (grid is not None and grid in self.grids)


class LoginFailed(Exception):
    """Wrong name or password, or an account that is locked or inactive (not told apart)."""


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("ascii")).hexdigest()


class AccountService:
    def __init__(
        self,
        database_url: str,
        *,
        ensure_schema: Callable[[], None],
        clock: Callable[[], datetime] = utcnow,
        session_lifetime: timedelta = SESSION_LIFETIME,
    ) -> None:
        self.database_url = database_url
        self._ensure_schema = ensure_schema
        self.clock = clock
        self.session_lifetime = session_lifetime

    def _session(self):  # type: ignore[no-untyped-def]
        self._ensure_schema()
        return session_scope(self.database_url)

    def create_user(
        self,
        username: str,
        password: str,
        *,
        role: StaffRole = StaffRole.staff,
        display_name: str = "",
        departments: Sequence[str] = (),
        grids: Sequence[str] = (),
    ) -> StaffIdentity:
        if len(password) < 8:
            raise ValueError("a staff password needs at least 8 characters")
        with self._session() as session:
            user = StaffUser(
                username=username.strip(),
                display_name=display_name or username.strip(),
                password_hash=_hasher.hash(password),
                role=role,
                departments=list(departments),
                grids=list(grids),
                created_at=self.clock(),
            )
            session.add(user)
            session.flush()
            logger.info("created %s account %s", role.value, user.username)
            return StaffIdentity.from_orm(user)

    def ensure_admin(self, username: str, password: str) -> None:
        """The first admin from the settings: created when missing, its password kept in step."""
        with self._session() as session:
            user = session.execute(select(StaffUser).where(StaffUser.username == username)).scalar_one_or_none()
            if user is None:
                session.add(
                    StaffUser(
                        username=username,
                        display_name=username,
                        password_hash=_hasher.hash(password),
                        role=StaffRole.admin,
                        departments=[],
                        grids=[],
                        created_at=self.clock(),
                    )
                )
                logger.info("created the first admin account %s", username)
                return
            if not self._verifies(user.password_hash, password):
                user.password_hash = _hasher.hash(password)
                logger.info("admin account %s: password updated from the settings", username)
            user.role, user.active = StaffRole.admin, 1

    @staticmethod
    def _verifies(password_hash: str, password: str) -> bool:
        try:
            return _hasher.verify(password_hash, password)
        except (VerificationError, InvalidHashError):
            return False

    def login(self, username: str, password: str) -> tuple[str, StaffIdentity]:
        """A new session token for a right password; :class:`LoginFailed` otherwise."""
        now = self.clock()
        with self._session() as session:
            user = session.execute(select(StaffUser).where(StaffUser.username == username)).scalar_one_or_none()
            if user is None:
                self._verifies(_dummy_hash(), password)
                raise LoginFailed(username)
            if not user.active or (user.locked_until is not None and user.locked_until > now):
                raise LoginFailed(username)
            if not self._verifies(user.password_hash, password):
                user.failed_logins += 1
                if user.failed_logins >= MAX_FAILED_LOGINS:
                    user.locked_until, user.failed_logins = now + LOCKOUT, 0
                    logger.warning("account %s locked after %d failed logins", username, MAX_FAILED_LOGINS)
                failed = True
            else:
                failed = False
                user.failed_logins, user.locked_until = 0, None
                if _hasher.check_needs_rehash(user.password_hash):
                    user.password_hash = _hasher.hash(password)
                token = secrets.token_urlsafe(32)
                session.add(
                    StaffSession(
                        token_hash=_token_hash(token),
                        user_id=user.id,
                        created_at=now,
                        expires_at=now + self.session_lifetime,
                    )
                )
                identity = StaffIdentity.from_orm(user)
        # Raised after the block, so the failed-login count above is committed.
        if failed:
            raise LoginFailed(username)
        logger.info("staff %s logged in", username)
        return token, identity

    def identity(self, token: str) -> StaffIdentity | None:
        """Who holds this session token, while it has not expired."""
        with self._session() as session:
            row = session.execute(
                select(StaffUser)
                .join(StaffSession, StaffSession.user_id == StaffUser.id)
                .where(StaffSession.token_hash == _token_hash(token), StaffSession.expires_at > self.clock())
            ).scalar_one_or_none()
            if row is None or not row.active:
                return None
            return StaffIdentity.from_orm(row)

    def logout(self, token: str) -> None:
        with self._session() as session:
            session.execute(delete(StaffSession).where(StaffSession.token_hash == _token_hash(token)))

    def users(self) -> List[StaffIdentity]:
        with self._session() as session:
            rows = session.execute(select(StaffUser).where(StaffUser.active == 1).order_by(StaffUser.username))
            return [StaffIdentity.from_orm(user) for user in rows.scalars()]
