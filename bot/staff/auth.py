"""Who may use the staff API, until the staff console brings its own login.

For now the one account of ``STAFF_ADMIN_USER`` / ``STAFF_ADMIN_PASSWORD`` is checked as HTTP Basic
(UTF-8, so a Chinese password works). Without both settings every protected route answers 401:
staff data is never open by default. The full staff login (accounts, sessions) replaces this
dependency; routes only depend on :func:`staff_guard`'s result, so they need no change when it does.
"""

from __future__ import annotations

import base64
import binascii
import logging
import secrets
from typing import Callable, Tuple

from fastapi import HTTPException, Request, status

from bot.settings import Settings

logger = logging.getLogger(__name__)

CHALLENGE = {"WWW-Authenticate": 'Basic realm="shequtong staff", charset="UTF-8"'}


def _basic_credentials(request: Request) -> Tuple[str, str] | None:
    scheme, _, encoded = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        user, separator, password = base64.b64decode(encoded, validate=True).decode("utf-8").partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return None
    return (user, password) if separator else None


def _same(given: str, expected: str) -> bool:
    """Constant-time comparison, so response times do not reveal how much of a secret matched."""
    return secrets.compare_digest(given.encode("utf-8"), expected.encode("utf-8"))


def staff_guard(settings: Settings) -> Callable[[Request], str]:
    """A dependency that returns the staff user name, or answers 401."""

    def require_staff(request: Request) -> str:
        user, password = settings.staff_admin_user, settings.staff_admin_password
        if not (user and password):
            logger.warning("staff API refused: STAFF_ADMIN_USER and STAFF_ADMIN_PASSWORD are not set")
        else:
            credentials = _basic_credentials(request)
            if credentials is not None:
                user_ok = _same(credentials[0], user)
                password_ok = _same(credentials[1], password)
                if user_ok and password_ok:
                    return credentials[0]
        raise HTTPException(status_code=status.HTTP_401_UNAUTHORIZED, detail="staff login required", headers=CHALLENGE)

    return require_staff
