"""Messages kept for residents out of reach (WeChat's 48-hour rule) carry what staff wrote them,
name, flat and phone included: staff see only those about tickets of their own department or grid."""

from __future__ import annotations

import pytest

from bot.delivery import outbox
from bot.staff import notices
from tests.staff.conftest import bearer
from tests.staff.test_tickets_api import account, complaint
from tickets.models import StaffRole
from tickets.service import TicketService

pytestmark = pytest.mark.security

LIFT = "物业服务中心（电梯维保）"


def kept_for_later(database_url: str, recipient: str, text: str) -> int:
    item = outbox.enqueue(database_url, "wechat", recipient, {"text": text})
    outbox.mark_pending(database_url, item.id, "errcode 45015")
    return item.id


@pytest.fixture
def store(sqlite_url) -> TicketService:
    return TicketService(sqlite_url)


@pytest.fixture
def messages(store):
    """A staff reply on a lift ticket, one on a noise ticket, and a message about no ticket."""
    lift = complaint(store, "3号楼电梯又坏了", sender="wx-lift")
    noise = complaint(store, "楼上半夜装修太吵", sender="wx-noise")
    url = store.database_url
    return {
        "lift": kept_for_later(url, "wx-lift", notices.staff_reply(lift.number, "王秀英您好，师傅电话13912345678")),
        "noise": kept_for_later(url, "wx-noise", notices.staff_reply(noise.number, "3栋2单元501的噪音已登记")),
        "none": kept_for_later(url, "wx-other", "您好，您之前问的高龄津贴需要带身份证。"),
    }


def pending_ids(client, headers) -> set:
    answer = client.get("/api/messages/pending", headers=headers)
    assert answer.status_code == 200, answer.text
    return {row["id"] for row in answer.json()}


def test_staff_of_a_department_see_only_their_tickets_messages(staff_client, store, messages):
    account(store, "lift1", departments=[LIFT])
    assert pending_ids(staff_client, bearer(staff_client, "lift1", "password-123")) == {messages["lift"]}


def test_grid_workers_see_the_messages_of_their_grid(staff_client, store, messages):
    account(store, "grid1", grids=["第一网格"])  # 3栋 lies in the first grid: both tickets are theirs
    assert pending_ids(staff_client, bearer(staff_client, "grid1", "password-123")) == {
        messages["lift"],
        messages["noise"],
    }


def test_admins_and_staff_who_see_every_ticket_see_every_message(staff_client, store, messages):
    assert pending_ids(staff_client, bearer(staff_client)) == set(messages.values())
    account(store, "everyone1")
    assert pending_ids(staff_client, bearer(staff_client, "everyone1", "password-123")) == set(messages.values())


def test_viewers_see_no_pending_message(staff_client, store, messages):
    account(store, "viewer1", StaffRole.viewer)
    assert (
        staff_client.get("/api/messages/pending", headers=bearer(staff_client, "viewer1", "password-123")).status_code
        == 403
    )
