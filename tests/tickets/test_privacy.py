"""Residents' data rights on real SQLite and PostgreSQL: what is kept, the export, erasure that keeps
statistics right, and the retention purge under a settable clock."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import select

from tickets.accounts import AccountService
from tickets.db import session_scope
from tickets.handling import StaffDesk
from tickets.models import (
    AuditEntry,
    ConversationErasure,
    Feedback,
    MutualHelpPost,
    PostKind,
    PostStatus,
    StaffRole,
    Ticket,
    TicketKind,
    TicketStatus,
)
from tickets.privacy import ANONYMOUS_PREFIX, ResidentData, resident_ref
from tickets.schemas import (
    BookingCreate,
    EvidenceCreate,
    FeedbackCreate,
    PostCreate,
    TicketCreate,
    TranscriptLine,
)
from tickets.stats import StatsService

ALICE, BOB = "wx-alice-openid", "wx-bob-openid"
PHONE, BOB_PHONE = "13812345678", "13987654321"
RETENTION = timedelta(days=365)


def complaint(tickets, sender: str, phone: str, text: str = "3栋2单元501门口的路灯坏了，我是王秀英，电话13812345678"):
    return tickets.open_ticket(
        TicketCreate(
            kind=TicketKind.complaint,
            title=text[:20],
            description=text,
            address="3栋2单元501",
            sender_id=sender,
            contact_name="王秀英",
            contact_phone=phone,
            transcript=[
                TranscriptLine(role="resident", text=text),
                TranscriptLine(role="bot", text="好的，请留个电话"),
                TranscriptLine(role="resident", text=phone),
            ],
        )
    )


def fill_alice(tickets) -> str:
    number = complaint(tickets, ALICE, PHONE).number
    tickets.book(
        BookingCreate(
            service_id="haircut",
            service_name="助老理发",
            scheduled_at=tickets.clock() + timedelta(days=2),
            address="5栋1单元302",
            sender_id=ALICE,
            contact_phone=PHONE,
        ),
        department="社区服务中心",
    )
    tickets.attach_evidence(ALICE, EvidenceCreate(kind="image", url="https://img.example/alice.jpg"))
    tickets.relay_to_staff(sender_id=ALICE, text="x")  # no handoff open: nothing relayed
    tickets.post_help(
        PostCreate(
            kind=PostKind.need,
            content="我是王秀英，谁能帮我周六取药 电话13812345678",
            sender_id=ALICE,
            contact_phone=PHONE,
        )
    )
    tickets.record_feedback(FeedbackCreate(sender_id=ALICE, rating=5, comment="王阿姨说师傅很好"))
    return number


@pytest.fixture
def data(tickets) -> ResidentData:
    return ResidentData(tickets)


def test_what_is_kept_counts_only_the_residents_own_data_with_contacts_masked(tickets, data):
    fill_alice(tickets)
    complaint(tickets, BOB, BOB_PHONE, "楼道灯坏了")

    kept = data.kept(ALICE)

    assert (kept.tickets, kept.open_tickets, kept.bookings, kept.posts, kept.feedback) == (2, 2, 1, 1, 1)
    assert kept.phones == ["138****5678"]
    assert kept.names == ["王**"]
    assert kept.buildings == ["3栋", "5栋"]
    assert PHONE not in kept.json() and BOB_PHONE[-4:] not in kept.json()
    assert data.kept("nobody").empty


def test_the_export_holds_everything_of_one_resident_and_is_audited(tickets, data):
    number = fill_alice(tickets)
    complaint(tickets, BOB, BOB_PHONE, "楼道灯坏了")

    exported = data.export(ALICE, actor="admin", client="127.0.0.1")

    assert [ticket["number"] for ticket in exported["tickets"]][0] == number
    assert exported["tickets"][0]["contact_phone"] == PHONE
    assert exported["tickets"][0]["transcript"][2]["text"] == PHONE
    assert exported["tickets"][0]["attachments"][0]["url"] == "https://img.example/alice.jpg"
    assert exported["posts"][0]["contact_phone"] == PHONE
    assert exported["feedback"][0]["rating"] == 5
    assert BOB_PHONE not in json.dumps(exported, ensure_ascii=False)
    with session_scope(tickets.database_url) as session:
        audit = session.execute(select(AuditEntry)).scalars().one()
        assert (audit.actor, audit.action, audit.detail["resident"]) == (
            "admin",
            "resident_export",
            resident_ref(ALICE),
        )
        assert ALICE not in json.dumps(audit.detail)


def test_erasing_anonymises_tickets_posts_and_feedback_and_keeps_the_statistics(tickets, data):
    number = fill_alice(tickets)
    bob = complaint(tickets, BOB, BOB_PHONE, "楼道灯坏了，我是李建国")
    stats = StatsService(tickets)
    before = stats.stats().dict()
    department = tickets.tickets_of(ALICE, limit=5)[-1].department

    erasure = data.erase(ALICE, actor="resident")

    assert (erasure.tickets, erasure.posts, erasure.feedback, erasure.attachments) == (2, 1, 1, 1)
    assert stats.stats().dict() == before
    with session_scope(tickets.database_url) as session:
        ticket = session.execute(select(Ticket).where(Ticket.number == number)).scalar_one()
        assert ticket.sender_id == erasure.anonymous_id and ticket.sender_id.startswith(ANONYMOUS_PREFIX)
        assert (ticket.contact_name, ticket.contact_phone, ticket.transcript) == (None, None, [])
        assert ticket.address == "3栋"
        assert PHONE not in ticket.description and "王秀英" not in ticket.description
        assert "501" not in ticket.description and "路灯坏了" in ticket.description
        assert ticket.attachments == [] and ticket.personal_data_purged_at == tickets.clock()
        assert (ticket.kind, ticket.status, ticket.department) == (TicketKind.complaint, TicketStatus.new, department)
        post = session.execute(select(MutualHelpPost)).scalar_one()
        assert post.status is PostStatus.closed and post.contact_phone is None
        assert PHONE not in post.content and "王秀英" not in post.content
        assert post.sender_id == erasure.anonymous_id
        feedback = session.execute(select(Feedback)).scalar_one()
        assert feedback.sender_id == erasure.anonymous_id and "王阿姨" not in feedback.comment
        audit = session.execute(select(AuditEntry).where(AuditEntry.action == "resident_erased")).scalar_one()
        assert audit.detail["resident"] == resident_ref(ALICE) and ALICE not in json.dumps(audit.detail)
        assert session.execute(select(ConversationErasure.sender_id)).scalars().all() == [ALICE]
        untouched = session.execute(select(Ticket).where(Ticket.number == bob.number)).scalar_one()
        assert (untouched.sender_id, untouched.contact_phone) == (BOB, BOB_PHONE)
        assert "李建国" in untouched.description
    assert data.kept(ALICE).empty
    assert tickets.tickets_of(ALICE) == []


def test_erasing_scrubs_the_ticket_history_and_lines_copied_into_a_merged_ticket(tickets, data):
    desk = StaffDesk(tickets)
    accounts = AccountService(tickets.database_url, ensure_schema=tickets.ensure_schema)
    admin = accounts.create_user("admin", "password-123", role=StaffRole.admin)
    mine = complaint(tickets, ALICE, PHONE)
    theirs = complaint(tickets, BOB, BOB_PHONE, "3栋门口路灯不亮")
    desk.record_reply(admin, mine.number, "王女士您好，我们明天去3栋2单元501看看")
    desk.merge(admin, mine.number, into=theirs.number)

    data.erase(ALICE, actor="resident")

    with session_scope(tickets.database_url) as session:
        target = session.execute(select(Ticket).where(Ticket.number == theirs.number)).scalar_one()
        texts = [line["text"] for line in target.transcript]
        assert "3栋门口路灯不亮" in texts  # Bob's own words stay
        assert not any(PHONE in text or "王秀英" in text for text in texts)
        mine_row = session.execute(select(Ticket).where(Ticket.number == mine.number)).scalar_one()
        notes = " ".join(event.note or "" for event in mine_row.events)
        assert "王女士" not in notes and "501" not in notes and "3栋" in notes


def test_erasing_twice_finds_nothing_more(tickets, data):
    fill_alice(tickets)
    data.erase(ALICE, actor="resident")

    again = data.erase(ALICE, actor="admin")

    assert (again.tickets, again.posts, again.feedback) == (0, 0, 0)
    assert data.conversations_to_empty() == [ALICE]


def test_the_conversation_queue_forgets_the_sender_once_emptied(tickets, data):
    data.erase(ALICE, actor="resident")
    data.erase(BOB, actor="resident")

    data.conversation_not_emptied(ALICE, "rasa down")
    data.conversation_emptied(BOB)

    assert data.conversations_to_empty() == [ALICE]
    with session_scope(tickets.database_url) as session:
        row = session.execute(select(ConversationErasure)).scalar_one()
        assert (row.attempts, row.last_error) == (1, "rasa down")


def _close(tickets, number: str) -> None:
    with session_scope(tickets.database_url) as session:
        ticket = session.execute(select(Ticket).where(Ticket.number == number)).scalar_one()
        ticket.status, ticket.closed_at = TicketStatus.closed, tickets.clock()


def test_retention_purges_only_tickets_finished_longer_ago_than_the_period(tickets, data, clock):
    finished = complaint(tickets, ALICE, PHONE).number
    still_open = complaint(tickets, ALICE, PHONE).number
    _close(tickets, finished)
    start = clock.now

    clock.now = start + RETENTION - timedelta(days=1)
    assert data.purge_expired(retention=RETENTION).tickets == 0

    clock.now = start + RETENTION + timedelta(days=1)
    assert data.purge_expired(retention=RETENTION).tickets == 1
    assert data.purge_expired(retention=RETENTION).tickets == 0  # idempotent

    with session_scope(tickets.database_url) as session:
        purged = session.execute(select(Ticket).where(Ticket.number == finished)).scalar_one()
        assert (purged.contact_phone, purged.contact_name, purged.transcript) == (None, None, [])
        assert purged.sender_id == ALICE and purged.address == "3栋" and PHONE not in purged.description
        kept = session.execute(select(Ticket).where(Ticket.number == still_open)).scalar_one()
        assert kept.contact_phone == PHONE and len(kept.transcript) == 3


def test_retention_clears_phones_of_old_closed_posts(tickets, data, clock):
    post = tickets.post_help(
        PostCreate(kind=PostKind.offer, content="我可以教手机", sender_id=ALICE, contact_phone=PHONE)
    )
    desk = StaffDesk(tickets)
    admin = AccountService(tickets.database_url, ensure_schema=tickets.ensure_schema).create_user(
        "admin", "password-123", role=StaffRole.admin
    )
    desk.moderate_post(admin, post.id, PostStatus.approved)
    desk.moderate_post(admin, post.id, PostStatus.closed)
    clock.now = clock.now + RETENTION + timedelta(days=1)

    assert data.purge_expired(retention=RETENTION).posts == 1
    assert data.purge_expired(retention=RETENTION).posts == 0
    with session_scope(tickets.database_url) as session:
        assert session.execute(select(MutualHelpPost.contact_phone)).scalar_one() is None


def test_a_resolved_ticket_counts_from_its_resolution(tickets, data, clock):
    number = complaint(tickets, ALICE, PHONE).number
    with session_scope(tickets.database_url) as session:
        ticket = session.execute(select(Ticket).where(Ticket.number == number)).scalar_one()
        ticket.status, ticket.resolved_at = TicketStatus.resolved, clock.now + timedelta(days=10)
    clock.now = clock.now + RETENTION + timedelta(days=5)
    assert data.purge_expired(retention=RETENTION).tickets == 0
    clock.now = clock.now + timedelta(days=6)
    assert data.purge_expired(retention=RETENTION).tickets == 1
