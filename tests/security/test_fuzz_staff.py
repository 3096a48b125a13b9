"""Property-based fuzzing of the staff service's public surface: Open311 and the staff JSON API.

Whatever arrives, the answer is never a server error, and the ticket store holds only whole tickets:
each one with its "created" event, and exactly one more ticket for each request that was acknowledged.
"""

from __future__ import annotations

import json
from typing import Any, Dict, Iterator
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from bot.staff.app import create_app
from bot.staff.open311 import open311_router
from tests.staff.conftest import bearer, staff_settings
from tickets.db import session_scope
from tickets.models import Ticket, TicketEvent
from tickets.service import TicketService

pytestmark = pytest.mark.security

API_KEY = "fuzz-open311-key"
V2 = "/open311/v2"
FUZZ = settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

# Text as residents, programs and attackers send it: Chinese, control characters, markup, huge runs.
short_texts = st.one_of(
    st.text(max_size=40),
    st.text(alphabet=st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF), max_size=40),
    st.sampled_from(
        ["", " ", "\x00", "<script>alert(1)</script>", "' OR 1=1 --", "../../etc/passwd", "%00", "🔥" * 50]
    ),
)
texts = st.one_of(
    short_texts,
    st.integers(min_value=1_000, max_value=50_000).map(lambda n: "楼上漏水" * (n // 4)),
)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | texts,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(texts, children, max_size=4),
    max_leaves=12,
)


@pytest.fixture(scope="module")
def app_and_store(tmp_path_factory) -> Iterator[tuple[TestClient, TicketService]]:
    folder = tmp_path_factory.mktemp("fuzz-staff")
    url = f"sqlite:///{folder / 'tickets.db'}"
    config = staff_settings(url, folder, open311_api_key=API_KEY)
    store = TicketService(url)
    app = create_app(config)
    app.include_router(open311_router(config, store))
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client, store


def whole_tickets(store: TicketService) -> tuple[int, int]:
    """(tickets, tickets without their "created" event): the second must stay 0."""
    with session_scope(store.database_url) as session:
        total = session.execute(select(func.count(Ticket.id))).scalar_one()
        created = select(TicketEvent.ticket_id).where(TicketEvent.type == "created")
        orphans = session.execute(select(func.count(Ticket.id)).where(Ticket.id.not_in(created))).scalar_one()
    return total, orphans


@FUZZ
@given(
    fields=st.dictionaries(
        st.sampled_from(
            [
                "api_key",
                "service_code",
                "description",
                "lat",
                "long",
                "address_string",
                "address_id",
                "email",
                "first_name",
                "last_name",
                "phone",
                "device_id",
                "account_id",
                "media_url",
                "attribute[x]",
                "jurisdiction_id",
            ]
        ),
        texts,
        max_size=8,
    ),
    with_key=st.booleans(),
    code=st.sampled_from(["complaint-noise", "suggestion", "x", ""]),
)
def test_open311_filing_never_fails_and_never_half_writes(app_and_store, fields, with_key, code) -> None:
    client, store = app_and_store
    form: Dict[str, Any] = {"service_code": code, **fields}
    if with_key:
        form["api_key"] = API_KEY
    before, _ = whole_tickets(store)
    response = client.post(f"{V2}/requests.json", data=form)
    after, orphans = whole_tickets(store)
    assert response.status_code < 500, response.text
    assert orphans == 0
    assert after - before == (1 if response.status_code in (200, 201) else 0)


@FUZZ
@given(
    path=short_texts,
    params=st.dictionaries(short_texts, short_texts, max_size=4),
    fmt=st.sampled_from(["json", "xml", "csv", ""]),
)
def test_open311_reading_never_fails(app_and_store, path, params, fmt) -> None:
    client, _ = app_and_store
    for url in (f"{V2}/requests.{fmt}", f"{V2}/services.{fmt}", f"{V2}/requests/{quote(path[:60], safe='')}.{fmt}"):
        response = client.get(url, params=params)
        assert response.status_code < 500, (url, response.text)


@FUZZ
@given(body=json_values)
def test_login_never_fails(app_and_store, body) -> None:
    client, _ = app_and_store
    response = client.post("/api/login", content=json.dumps(body))
    assert response.status_code < 500, response.text
    client.cookies.clear()


@FUZZ
@given(
    number=st.one_of(short_texts, st.just("GD20261129-0007")),
    body=json_values,
    route=st.sampled_from(["claim", "assign", "reply", "status", "merge", "reschedule", "takeover", "handback"]),
    header=st.sampled_from(["valid", "empty", "malformed", "none"]),
)
def test_staff_api_never_fails(app_and_store, number, body, route, header) -> None:
    client, store = app_and_store
    headers = {
        "valid": bearer(client),
        "empty": {"Authorization": "Bearer "},
        "malformed": {"Authorization": b"Bearer \xff\xfe not-a-token"},
        "none": {},
    }[header]
    before = whole_tickets(store)
    response = client.post(
        f"/api/tickets/{quote(number[:80], safe='')}/{route}", content=json.dumps(body), headers=headers
    )
    assert response.status_code < 500, response.text
    if header != "valid":
        assert response.status_code in (401, 403, 404, 405), response.status_code
    assert whole_tickets(store) == before  # no route here creates a ticket, and none may lose one
    listing = client.get("/api/tickets", params={"status": str(body)[:30], "q": number[:30]}, headers=headers)
    assert listing.status_code < 500, listing.text
