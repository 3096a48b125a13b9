"""The staff API on a real SQLite file: logins and roles, the queue, a ticket's page, every
action on a ticket, masking and the audit log. Rasa is not running here (its port is free), so
messages to residents stay in the outbox as retrying: that, too, is checked."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from tests.staff.conftest import ADMIN, bearer
from tickets.accounts import AccountService
from tickets.models import StaffRole, TicketKind
from tickets.schemas import PostCreate, TicketCreate
from tickets.service import TicketService

PHONE = "13812345678"


@pytest.fixture
def store(sqlite_url) -> TicketService:
    return TicketService(sqlite_url)


@pytest.fixture
def admin(staff_client):
    return bearer(staff_client)


def complaint(store: TicketService, text: str, *, address: str = "3栋2单元501", clock=None, sender="web-resident01"):
    service = TicketService(store.database_url, clock=clock) if clock else store
    return service.open_ticket(
        TicketCreate(
            kind=TicketKind.complaint,
            title=text[:20],
            description=text,
            address=address,
            channel="rest",
            sender_id=sender,
            contact_name="王秀英",
            contact_phone=PHONE,
        )
    )


def account(store: TicketService, username: str, role=StaffRole.staff, **scope) -> None:
    AccountService(store.database_url, ensure_schema=store.ensure_schema).create_user(
        username, "password-123", role=role, display_name=username, **scope
    )


@pytest.mark.parametrize("path", ["/api/tickets", "/api/tickets/GD20261129-0001", "/api/staff", "/api/audit"])
def test_every_route_answers_401_without_a_login(staff_client, path):
    assert staff_client.get(path).status_code == 401
    assert staff_client.get(path, headers={"Authorization": "Bearer forged"}).status_code == 401


def test_viewers_see_no_tickets_and_staff_no_audit_log(staff_client, store):
    account(store, "viewer1", StaffRole.viewer)
    account(store, "worker1")
    viewer = bearer(staff_client, "viewer1", "password-123")
    worker = bearer(staff_client, "worker1", "password-123")
    assert staff_client.get("/api/tickets", headers=viewer).status_code == 403
    assert staff_client.get("/api/audit", headers=worker).status_code == 403
    assert staff_client.get("/api/tickets", headers=worker).status_code == 200


def test_repeated_wrong_passwords_lock_the_account(staff_client, store):
    account(store, "worker2")
    for _ in range(5):
        assert staff_client.post("/api/login", json={"username": "worker2", "password": "wrong"}).status_code == 401
    locked = staff_client.post("/api/login", json={"username": "worker2", "password": "password-123"})
    assert locked.status_code == 401


def test_logout_ends_the_session(staff_client, admin):
    assert staff_client.get("/api/me", headers=admin).json()["username"] == ADMIN[0]
    assert staff_client.post("/api/logout", headers=admin).status_code == 204
    assert staff_client.get("/api/me", headers=admin).status_code == 401


def test_a_cookie_session_needs_the_csrf_token_for_changes(staff_client, store):
    number = complaint(store, "楼道灯坏了好几天").number
    assert staff_client.post("/api/login", json={"username": ADMIN[0], "password": ADMIN[1]}).status_code == 200
    assert staff_client.get("/api/tickets").status_code == 200  # the cookie alone reads
    assert staff_client.post(f"/api/tickets/{number}/claim").status_code == 403
    token = staff_client.cookies.get("csrftoken")
    assert token
    assert staff_client.post(f"/api/tickets/{number}/claim", headers={"x-csrftoken": token}).status_code == 200


def test_the_queue_puts_emergencies_then_overdue_then_deadlines_and_masks_contacts(staff_client, admin, store):
    past = lambda: datetime.now(timezone.utc) - timedelta(days=10)  # noqa: E731
    later = complaint(store, "小区垃圾桶满了没人清运")  # deadline in a working day
    overdue = complaint(store, "路灯坏了", clock=past)
    emergency = store.open_ticket(
        TicketCreate(kind=TicketKind.emergency, title="紧急求助：老人摔倒", sender_id="web-resident02")
    )
    rows = staff_client.get("/api/tickets", headers=admin).json()["tickets"]
    assert [row["number"] for row in rows] == [emergency.number, overdue.number, later.number]
    assert rows[1]["overdue"] is True and rows[2]["overdue"] is False
    assert rows[1]["contact_phone"] == "138****5678" and rows[1]["contact_name"] == "王**"
    assert PHONE not in staff_client.get("/api/tickets", headers=admin).text


def test_the_queue_filters_and_searches(staff_client, admin, store):
    lights = complaint(store, "路灯坏了")
    complaint(store, "楼上装修太吵")
    by_category = staff_client.get("/api/tickets", params={"category": "street_light"}, headers=admin).json()
    assert [row["number"] for row in by_category["tickets"]] == [lights.number]
    searched = staff_client.get("/api/tickets", params={"q": "装修"}, headers=admin).json()["tickets"]
    assert [row["category"] for row in searched] == ["noise"]
    assert staff_client.get("/api/tickets", params={"status": "closed"}, headers=admin).json()["tickets"] == []


def test_a_tickets_page_shows_contact_data_in_full_and_audits_the_view(staff_client, admin, store):
    number = complaint(store, "3号楼电梯又坏了").number
    page = staff_client.get(f"/api/tickets/{number}", headers=admin).json()
    assert page["ticket"]["contact_phone"] == PHONE and page["ticket"]["contact_name"] == "王秀英"
    assert page["ticket"]["events"][0]["type"] == "created"
    audit = staff_client.get("/api/audit", headers=admin).json()
    assert (audit[0]["actor"], audit[0]["action"], audit[0]["ticket_number"]) == ("admin", "view_contact", number)


def test_staff_see_and_handle_only_their_departments_tickets(staff_client, store):
    lift = complaint(store, "3号楼电梯又坏了")
    noise = complaint(store, "楼上半夜装修太吵")
    account(store, "lift1", departments=["物业服务中心（电梯维保）"])
    lift_staff = bearer(staff_client, "lift1", "password-123")
    rows = staff_client.get("/api/tickets", headers=lift_staff).json()["tickets"]
    assert [row["number"] for row in rows] == [lift.number]
    assert staff_client.get(f"/api/tickets/{noise.number}", headers=lift_staff).status_code == 403
    assert staff_client.post(f"/api/tickets/{noise.number}/claim", headers=lift_staff).status_code == 403
    assert staff_client.get("/api/tickets/GD20000101-9999", headers=lift_staff).status_code == 404


def test_whoever_claims_first_stays_responsible_when_the_ticket_is_dispatched(staff_client, admin, store):
    number = complaint(store, "小区门口路灯不亮").number
    claimed = staff_client.post(f"/api/tickets/{number}/claim", headers=admin).json()["ticket"]
    assert (claimed["status"], claimed["assignee"], claimed["responsible"]) == ("in_progress", "admin", "admin")
    account(store, "worker3")
    form = {"assignee": "worker3", "department": "街道城市管理科", "note": "请今天去看一下"}
    dispatched = staff_client.post(f"/api/tickets/{number}/assign", json=form, headers=admin).json()
    ticket = dispatched["ticket"]
    assert (ticket["status"], ticket["assignee"], ticket["responsible"]) == ("assigned", "worker3", "admin")
    assert ticket["events"][-2]["type"] == "dispatched" and ticket["events"][-2]["note"] == "请今天去看一下"
    assert [d["purpose"] for d in dispatched["deliveries"]] == ["dispatched"]  # the resident is told


def test_only_allowed_status_moves_are_accepted(staff_client, admin, store):
    number = complaint(store, "垃圾没人收").number
    url = f"/api/tickets/{number}/status"
    assert staff_client.post(url, json={"status": "resolved"}, headers=admin).status_code == 422  # no resolution
    assert staff_client.post(url, json={"status": "closed"}, headers=admin).status_code == 409
    assert staff_client.post(url, json={"status": "referred"}, headers=admin).status_code == 422  # to whom?
    resolved = staff_client.post(url, json={"status": "resolved", "note": "已清运"}, headers=admin).json()["ticket"]
    assert resolved["status"] == "resolved" and resolved["resolution"] == "已清运" and resolved["resolved_at"]
    assert "closed" in resolved["allowed_statuses"]
    closed = staff_client.post(url, json={"status": "closed"}, headers=admin).json()["ticket"]
    assert closed["status"] == "closed" and closed["closed_at"]
    reopened = staff_client.post(url, json={"status": "in_progress", "note": "居民说还没清"}, headers=admin).json()
    assert reopened["ticket"]["status"] == "in_progress" and reopened["ticket"]["closed_at"] is None
    assert reopened["ticket"]["events"][-2]["type"] == "reopened"


def test_referring_a_ticket_names_the_body_and_closes_it(staff_client, admin, store):
    number = complaint(store, "小区外面马路上的井盖丢了").number
    form = {"status": "referred", "referred_to": "区市政管理处", "note": "市政道路不归物业"}
    ticket = staff_client.post(f"/api/tickets/{number}/status", json=form, headers=admin).json()["ticket"]
    assert (ticket["status"], ticket["referred_to"]) == ("referred", "区市政管理处")
    assert ticket["closed_at"]


def test_a_reply_is_kept_on_the_ticket_and_retried_while_the_resident_is_out_of_reach(staff_client, admin, store):
    number = complaint(store, "3号楼电梯又坏了").number
    page = staff_client.post(f"/api/tickets/{number}/reply", json={"text": "维修师傅下午到"}, headers=admin).json()
    assert page["ticket"]["transcript"][-1]["role"] == "staff"
    assert page["ticket"]["transcript"][-1]["text"] == "维修师傅下午到"
    assert page["ticket"]["first_response_at"]
    [delivery] = page["deliveries"]
    assert delivery["purpose"] == "reply" and delivery["status"] == "retrying"  # Rasa is down in this test
    assert delivery["last_error"]
    assert staff_client.post(f"/api/tickets/{number}/reply", json={"text": ""}, headers=admin).status_code == 422


def test_likely_duplicates_are_shown_and_can_be_merged(staff_client, admin, store):
    first = complaint(store, "3栋电梯又坏了", address="3栋1单元")
    second = complaint(store, "电梯坏了没人修", address="3栋2单元502", sender="web-resident03")
    complaint(store, "电梯坏了", address="5栋1单元", sender="web-resident04")
    page = staff_client.get(f"/api/tickets/{second.number}", headers=admin).json()
    assert page["ticket"]["likely_duplicates"] == [first.number]
    merged = staff_client.post(f"/api/tickets/{second.number}/merge", json={"into": first.number}, headers=admin)
    ticket = merged.json()["ticket"]
    assert (ticket["status"], ticket["merged_into"]) == ("duplicate", first.number)
    assert [d["purpose"] for d in merged.json()["deliveries"]] == ["merged"]
    target = staff_client.get(f"/api/tickets/{first.number}", headers=admin).json()["ticket"]
    assert target["events"][-1]["type"] == "merged_in"
    again = staff_client.post(f"/api/tickets/{second.number}/merge", json={"into": first.number}, headers=admin)
    assert again.status_code == 409


def test_a_handoff_can_be_taken_over_and_handed_back(staff_client, admin, store):
    handoff = store.open_ticket(TicketCreate(kind=TicketKind.handoff, title="居民请求人工服务", sender_id="web-r5"))
    complaint_number = complaint(store, "楼道灯坏了").number
    assert staff_client.post(f"/api/tickets/{complaint_number}/takeover", headers=admin).status_code == 409
    taken = staff_client.post(f"/api/tickets/{handoff.number}/takeover", headers=admin).json()
    assert taken["ticket"]["status"] == "in_progress" and taken["ticket"]["responsible"] == "admin"
    assert [d["purpose"] for d in taken["deliveries"]] == ["taken_over"]
    back = staff_client.post(f"/api/tickets/{handoff.number}/handback", headers=admin).json()
    assert back["ticket"]["events"][-1]["type"] == "delivery"
    assert [d["purpose"] for d in back["deliveries"]] == ["taken_over", "handed_back"]


def test_resolving_asks_the_resident_for_a_rating(staff_client, admin, store):
    number = complaint(store, "垃圾没人收").number
    page = staff_client.post(
        f"/api/tickets/{number}/status", json={"status": "resolved", "note": "已清运"}, headers=admin
    ).json()
    assert [d["purpose"] for d in page["deliveries"]] == ["rating_request"]
    assert any(event["type"] == "rating_requested" for event in page["ticket"]["events"])


def test_bookings_can_be_rescheduled_and_cancelled(staff_client, admin, store):
    from tickets.schemas import BookingCreate

    at = datetime.now(timezone.utc) + timedelta(days=2)
    booking = store.book(
        BookingCreate(
            service_id="haircut", service_name="上门理发", scheduled_at=at, sender_id="web-r6", contact_phone=PHONE
        ),
        department="社区养老服务站",
    )
    new_time = (at + timedelta(days=1)).replace(microsecond=0)
    moved = staff_client.post(
        f"/api/tickets/{booking.number}/reschedule", json={"at": new_time.isoformat()}, headers=admin
    ).json()
    assert datetime.fromisoformat(moved["ticket"]["booking_time"]) == new_time
    naive = staff_client.post(
        f"/api/tickets/{booking.number}/reschedule", json={"at": "2026-12-01T09:00:00"}, headers=admin
    )
    assert naive.status_code == 422
    cancelled = staff_client.post(
        f"/api/tickets/{booking.number}/status", json={"status": "cancelled", "note": "师傅生病"}, headers=admin
    ).json()
    assert cancelled["ticket"]["status"] == "cancelled"
    assert [d["purpose"] for d in cancelled["deliveries"]] == ["rescheduled", "booking_cancelled"]


def test_mutual_help_posts_are_moderated(staff_client, admin, store):
    post = store.post_help(
        PostCreate(kind="need", content="周六谁能帮我接下孩子", sender_id="web-r7", contact_phone=PHONE)
    )
    pending = staff_client.get("/api/posts", headers=admin).json()
    assert [row["id"] for row in pending] == [post.id] and pending[0]["contact_phone"] == "138****5678"
    assert staff_client.post(f"/api/posts/{post.id}/reject", json={}, headers=admin).status_code == 422
    approved = staff_client.post(f"/api/posts/{post.id}/approve", json={}, headers=admin).json()
    assert approved["status"] == "approved"
    assert [p.id for p in store.open_posts()] == [post.id]
    assert staff_client.post(f"/api/posts/{post.id}/approve", json={}, headers=admin).status_code == 409


def test_admins_create_accounts_and_staff_cannot(staff_client, admin, store):
    form = {"username": "grid7", "password": "long-enough-1", "role": "staff", "grids": ["第七网格"]}
    created = staff_client.post("/api/staff", json=form, headers=admin)
    assert created.status_code == 201 and created.json()["grids"] == ["第七网格"]
    assert "password" not in created.text
    assert staff_client.post("/api/staff", json=form, headers=admin).status_code == 409
    grid = bearer(staff_client, "grid7", "long-enough-1")
    assert staff_client.post("/api/staff", json={**form, "username": "x2"}, headers=grid).status_code == 403
    short = {**form, "username": "x3", "password": "short"}
    assert staff_client.post("/api/staff", json=short, headers=admin).status_code == 422


def test_a_bearer_token_needs_no_csrf_token_even_with_the_cookie_kept(staff_client, store):
    number = complaint(store, "楼道灯坏了好几天").number
    token = staff_client.post("/api/login", json={"username": ADMIN[0], "password": ADMIN[1]}).json()["token"]
    assert staff_client.cookies.get("staff_session")  # kept, as httpx and browsers do
    headers = {"Authorization": f"Bearer {token}"}
    assert staff_client.post(f"/api/tickets/{number}/claim", headers=headers).status_code == 200
    forged = {"Authorization": "Bearer not-a-session"}  # a wrong bearer does not fall back to the cookie
    assert staff_client.post(f"/api/tickets/{number}/claim", headers=forged).status_code == 401


def test_the_pages_own_refreshes_are_not_audited_again(staff_client, admin, store):
    number = complaint(store, "3号楼电梯又坏了").number
    staff_client.get(f"/api/tickets/{number}", headers=admin)
    for _ in range(3):
        assert staff_client.get(f"/api/tickets/{number}", params={"refresh": 1}, headers=admin).status_code == 200
    views = [row for row in staff_client.get("/api/audit", headers=admin).json() if row["action"] == "view_contact"]
    assert len(views) == 1


def test_grid_workers_see_the_tickets_of_their_grid(staff_client, store):
    mine = complaint(store, "楼道灯坏了", address="三号楼二单元")
    complaint(store, "楼道灯坏了", address="8栋1单元")
    account(store, "grid1", grids=["第一网格"])
    rows = staff_client.get("/api/tickets", headers=bearer(staff_client, "grid1", "password-123")).json()["tickets"]
    assert [(row["number"], row["grid"]) for row in rows] == [(mine.number, "第一网格")]
