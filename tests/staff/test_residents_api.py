"""One resident's data in the staff API on a real SQLite file: admins only, audited, erasure asked
twice; and the privacy loop that empties conversations and purges old tickets, with a settable clock.
Rasa is not running here (its port is free): a console erasure leaves the conversation queued."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import select

from bot.delivery import outbox
from bot.delivery.db import session_scope as delivery_session
from bot.delivery.tables import OutboxMessage
from bot.staff.privacy import PURGE_EVERY, PrivacyJobs
from tests.staff.conftest import bearer
from tests.staff.test_tickets_api import PHONE, account, complaint
from tickets.db import session_scope
from tickets.models import AuditEntry, StaffRole, Ticket, TicketStatus
from tickets.privacy import ResidentData, resident_ref
from tickets.service import TicketService

RESIDENT = "web-resident01"


@pytest.fixture
def store(sqlite_url) -> TicketService:
    return TicketService(sqlite_url)


@pytest.fixture
def admin(staff_client):
    return bearer(staff_client)


@pytest.mark.parametrize(
    "method, path",
    [
        ("GET", f"/api/residents/{RESIDENT}"),
        ("GET", f"/api/residents/{RESIDENT}/export"),
        ("POST", f"/api/residents/{RESIDENT}/erase"),
    ],
)
def test_only_admins_reach_a_residents_data(staff_client, store, method, path):
    account(store, "worker1")
    worker = bearer(staff_client, "worker1", "password-123")
    assert staff_client.request(method, path, json={"confirm": RESIDENT}).status_code == 401
    assert staff_client.request(method, path, headers=worker, json={"confirm": RESIDENT}).status_code == 403


def test_the_summary_is_masked_and_the_export_is_full_and_audited(staff_client, store, admin):
    complaint(store, "楼道灯坏了", sender=RESIDENT)
    complaint(store, "别人的事", sender="web-someone-else")

    kept = staff_client.get(f"/api/residents/{RESIDENT}", headers=admin).json()
    assert (kept["tickets"], kept["phones"]) == (1, ["138****5678"])

    response = staff_client.get(f"/api/residents/{RESIDENT}/export", headers=admin)
    assert response.status_code == 200
    assert "attachment" in response.headers["content-disposition"]
    exported = response.json()
    assert [ticket["contact_phone"] for ticket in exported["tickets"]] == [PHONE]
    audit = staff_client.get("/api/audit", headers=admin).json()
    assert audit[0]["action"] == "resident_export" and audit[0]["actor"] == "admin"
    assert audit[0]["detail"]["resident"] == resident_ref(RESIDENT)


def test_erasing_needs_the_id_twice_then_anonymises_forgets_messages_and_queues_the_conversation(
    staff_client, store, admin
):
    number = complaint(store, "3栋2单元501漏水了", sender=RESIDENT).number
    outbox.enqueue(store.database_url, "rasa", RESIDENT, {"events": [{"event": "bot", "text": "王阿姨您好"}]})
    outbox.enqueue(store.database_url, "rasa", "web-someone-else", {"events": []})

    wrong = staff_client.post(f"/api/residents/{RESIDENT}/erase", headers=admin, json={"confirm": "web-resident02"})
    assert wrong.status_code == 422
    assert staff_client.get(f"/api/residents/{RESIDENT}", headers=admin).json()["tickets"] == 1

    response = staff_client.post(f"/api/residents/{RESIDENT}/erase", headers=admin, json={"confirm": RESIDENT})

    assert response.status_code == 200
    result = response.json()
    assert (result["tickets"], result["conversation_emptied"]) == (1, False)
    page = staff_client.get(f"/api/tickets/{number}", headers=admin).json()["ticket"]
    assert page["sender_id"] == result["anonymous_id"] and page["contact_phone"] is None
    assert page["address"] == "3栋" and page["transcript"] == []
    assert [item.recipient for item in outbox.pending_messages(store.database_url)] == []
    with session_scope(store.database_url) as session:
        audit = session.execute(select(AuditEntry).where(AuditEntry.action == "resident_erased")).scalar_one()
        assert audit.actor == "admin" and RESIDENT not in str(audit.detail)
    with delivery_session(store.database_url) as session:
        assert session.execute(select(OutboxMessage.recipient)).scalars().all() == ["web-someone-else"]
    assert ResidentData(store).conversations_to_empty() == [RESIDENT]


class FlakyRasa:
    """Rasa's API as the loop sees it: away for the first call, then answering."""

    def __init__(self) -> None:
        self.emptied: list[str] = []
        self.calls = 0

    async def empty_conversation(self, conversation_id: str) -> None:
        self.calls += 1
        if self.calls == 1:
            raise httpx.ConnectError("Rasa is restarting")
        self.emptied.append(conversation_id)


def test_the_loop_empties_queued_conversations_once_rasa_answers(store):
    data = ResidentData(store)
    data.erase("wx-one", actor="resident")
    data.erase("wx-two", actor="resident")
    rasa = FlakyRasa()
    jobs = PrivacyJobs(data, rasa, retention=timedelta(days=365))  # type: ignore[arg-type]

    asyncio.run(jobs.run_once())
    assert data.conversations_to_empty() == ["wx-one", "wx-two"]  # Rasa away: nothing lost

    asyncio.run(jobs.run_once())
    assert rasa.emptied == ["wx-one", "wx-two"]
    assert data.conversations_to_empty() == []


def test_the_loop_purges_expired_tickets_at_most_hourly(sqlite_url, clock):
    store = TicketService(sqlite_url, clock=clock)
    data = ResidentData(store)
    jobs = PrivacyJobs(data, FlakyRasa(), retention=timedelta(days=30))  # type: ignore[arg-type]
    first = complaint(store, "路灯坏了", clock=clock).number
    second = complaint(store, "垃圾没人收", clock=clock).number
    with session_scope(sqlite_url) as session:
        for ticket in session.execute(select(Ticket)).scalars():
            ticket.status, ticket.closed_at = TicketStatus.closed, clock.now
    with session_scope(sqlite_url) as session:
        session.execute(select(Ticket).where(Ticket.number == second)).scalar_one().closed_at = clock.now + timedelta(
            minutes=30
        )

    def purged() -> list:
        with session_scope(sqlite_url) as session:
            return sorted(
                session.execute(select(Ticket.number).where(Ticket.personal_data_purged_at.isnot(None))).scalars()
            )

    clock.now += timedelta(days=30, minutes=10)
    asyncio.run(jobs.run_once())
    assert purged() == [first]

    clock.now += timedelta(minutes=30)  # the second is now due, but the hour is not over
    asyncio.run(jobs.run_once())
    assert purged() == [first]

    clock.now += PURGE_EVERY
    asyncio.run(jobs.run_once())
    assert purged() == [first, second]


def test_the_console_page_is_for_admins(staff_client, store, admin):
    account(store, "worker2", StaffRole.staff)
    page = staff_client.get("/residents?sender=web-x", headers=admin)
    assert page.status_code == 200 and 'id="resident-find"' in page.text and 'value="web-x"' in page.text
    worker = bearer(staff_client, "worker2", "password-123")
    refused = staff_client.get("/residents", headers=worker)
    assert refused.status_code == 200 and 'id="resident-find"' not in refused.text
