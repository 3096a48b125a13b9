"""A session cookie must not lend its authority to a request whose Authorization header is
empty or malformed: such a request skips the CSRF check, so it has to be refused outright."""

from __future__ import annotations

import pytest

from tests.staff.conftest import ADMIN

pytestmark = pytest.mark.security

NOT_A_BEARER_TOKEN = [
    pytest.param("Bearer ", id="empty bearer"),
    pytest.param("Bearer", id="bearer without token"),
    pytest.param("Bearer   ", id="blank bearer"),
    pytest.param("Bearer two tokens", id="bearer with spaces"),
    pytest.param("Basic YWRtaW46eA==", id="other scheme"),
    pytest.param("", id="empty header"),
]


@pytest.fixture
def cookie_session(staff_client):
    """An admin logged in through the console: the client keeps the session and CSRF cookies."""
    assert staff_client.post("/api/login", json={"username": ADMIN[0], "password": ADMIN[1]}).status_code == 200
    assert staff_client.get("/api/me").status_code == 200  # the cookie alone is a valid session
    return staff_client


@pytest.mark.parametrize("authorization", NOT_A_BEARER_TOKEN)
def test_a_malformed_bearer_with_a_valid_cookie_cannot_create_an_admin(cookie_session, authorization):
    form = {"username": "intruder", "password": "long-enough-1", "role": "admin"}
    answer = cookie_session.post("/api/staff", json=form, headers={"Authorization": authorization})
    assert answer.status_code == 401
    usernames = [user["username"] for user in cookie_session.get("/api/staff").json()]
    assert "intruder" not in usernames


@pytest.mark.parametrize("authorization", NOT_A_BEARER_TOKEN)
def test_a_malformed_bearer_with_a_valid_cookie_cannot_read(cookie_session, authorization):
    assert cookie_session.get("/api/tickets", headers={"Authorization": authorization}).status_code == 401
    assert cookie_session.get("/api/me", headers={"Authorization": authorization}).status_code == 401


def test_the_cookie_without_an_authorization_header_still_needs_the_csrf_token(cookie_session):
    form = {"username": "colleague", "password": "long-enough-1", "role": "staff"}
    assert cookie_session.post("/api/staff", json=form).status_code == 403
    token = cookie_session.cookies.get("csrftoken")
    assert cookie_session.post("/api/staff", json=form, headers={"x-csrftoken": token}).status_code == 201


def test_a_valid_bearer_token_works_beside_the_cookie(cookie_session):
    token = cookie_session.post("/api/login", json={"username": ADMIN[0], "password": ADMIN[1]}).json()["token"]
    form = {"username": "colleague", "password": "long-enough-1", "role": "staff"}
    headers = {"Authorization": f"Bearer {token}"}
    assert cookie_session.post("/api/staff", json=form, headers=headers).status_code == 201
