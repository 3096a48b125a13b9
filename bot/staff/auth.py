"""Staff login for the console and the API: one session token, as a cookie or a bearer token.

The console's browser holds the token in an HttpOnly cookie (its forms are protected from
CSRF by :mod:`starlette_csrf`, see :mod:`bot.staff.app`); programs send it as
``Authorization: Bearer``. A request that sends an ``Authorization`` header is judged by that
header alone: the CSRF check is skipped for it, so a header that is empty or not a bearer token
must never fall back to the cookie. Every protected route answers 401 without a valid session
and 403 when the role does not allow it.
"""

from __future__ import annotations

import logging
from typing import Callable, Mapping

from fastapi import APIRouter, Depends, HTTPException, Request, Response, status
from pydantic import BaseModel, Field

from tickets.accounts import AccountService, LoginFailed, StaffIdentity
from tickets.errors import TicketStoreUnavailable
from tickets.models import StaffRole

logger = logging.getLogger(__name__)

SESSION_COOKIE = "staff_session"


class LoginForm(BaseModel):
    username: str = Field(..., min_length=1, max_length=80)
    password: str = Field(..., min_length=1, max_length=200)


class LoginResult(BaseModel):
    token: str
    user: StaffIdentity


def sends_authorization(headers: Mapping[str, str]) -> bool:
    """Whether the request names its credentials in a header; then the cookie does not count."""
    return "authorization" in headers


def session_token(request: Request) -> str | None:
    """The token of ``Authorization: Bearer TOKEN`` when the header is sent, else the cookie's.

    An empty, malformed or other-scheme header gives no token (401), never the cookie's.
    """
    if not sends_authorization(request.headers):
        return request.cookies.get(SESSION_COOKIE)
    scheme, _, credentials = request.headers["authorization"].partition(" ")
    token = credentials.strip()
    if scheme.lower() != "bearer" or not token or any(char.isspace() for char in token):
        return None
    return token


class StaffAuth:
    """Dependencies that name the logged-in staff member, or refuse."""

    def __init__(self, accounts: AccountService) -> None:
        self.accounts = accounts

    def identity_of(self, request: Request) -> StaffIdentity | None:
        token = session_token(request)
        if not token:
            return None
        try:
            return self.accounts.identity(token)
        except TicketStoreUnavailable as exc:
            raise HTTPException(status_code=503, detail="staff accounts unavailable") from exc

    def require(self, *roles: StaffRole) -> Callable[[Request], StaffIdentity]:
        """Any logged-in staff member, or only those in ``roles``."""

        def dependency(request: Request) -> StaffIdentity:
            identity = self.identity_of(request)
            if identity is None:
                raise HTTPException(
                    status_code=status.HTTP_401_UNAUTHORIZED,
                    detail="staff login required",
                    headers={"WWW-Authenticate": "Bearer"},
                )
            if roles and identity.role not in roles:
                raise HTTPException(status_code=status.HTTP_403_FORBIDDEN, detail="not allowed for this role")
            return identity

        return dependency

    @property
    def admin(self) -> Callable[[Request], StaffIdentity]:
        return self.require(StaffRole.admin)

    @property
    def handler(self) -> Callable[[Request], StaffIdentity]:
        """Staff who handle tickets (admin and staff, not viewers)."""
        return self.require(StaffRole.admin, StaffRole.staff)

    @property
    def anyone(self) -> Callable[[Request], StaffIdentity]:
        return self.require()


def login_router(auth: StaffAuth, *, secure_cookies: bool = False) -> APIRouter:
    router = APIRouter(prefix="/api")

    @router.post("/login", response_model=LoginResult)
    def login(form: LoginForm, response: Response) -> LoginResult:
        """A session for a right password. Wrong names and passwords get the same answer."""
        try:
            token, identity = auth.accounts.login(form.username, form.password)
        except LoginFailed:
            logger.info("failed staff login")
            raise HTTPException(status_code=401, detail="用户名或密码不对，或账号已暂时锁定") from None
        except TicketStoreUnavailable as exc:
            raise HTTPException(status_code=503, detail="staff accounts unavailable") from exc
        response.set_cookie(
            SESSION_COOKIE,
            token,
            max_age=int(auth.accounts.session_lifetime.total_seconds()),
            httponly=True,
            samesite="lax",
            secure=secure_cookies,
        )
        return LoginResult(token=token, user=identity)

    @router.post("/logout", status_code=204, response_class=Response)
    def logout(request: Request, _: StaffIdentity = Depends(auth.anyone)) -> Response:
        token = session_token(request)
        if token:
            auth.accounts.logout(token)
        response = Response(status_code=204)
        response.delete_cookie(SESSION_COOKIE)
        return response

    @router.get("/me", response_model=StaffIdentity)
    def me(identity: StaffIdentity = Depends(auth.anyone)) -> StaffIdentity:
        return identity

    return router
