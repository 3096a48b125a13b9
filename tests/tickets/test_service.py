"""The ticket service on real SQLite and PostgreSQL databases."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from tickets.db import session_scope
from tickets.errors import TicketNotFound, TicketStoreUnavailable
from tickets.models import MutualHelpPost, PostKind, PostStatus, Ticket, TicketEvent, TicketKind, TicketStatus
from tickets.routing import SHANGHAI
from tickets.schemas import BookingCreate, FeedbackCreate, PostCreate, TicketCreate
from tickets.service import TicketService


def complaint(sender: str = "resident-1", text: str = "3号楼电梯又坏了", **extra) -> TicketCreate:
    return TicketCreate(kind=TicketKind.complaint, title=text, description=text, sender_id=sender, **extra)


def booking(sender: str = "resident-1", when: datetime | None = None) -> BookingCreate:
    return BookingCreate(
        service_id="elderly-haircut",
        service_name="助老理发",
        scheduled_at=when or datetime(2026, 12, 1, 10, 0, tzinfo=SHANGHAI),
        at_home=True,
        address="3栋2单元501",
        sender_id=sender,
        contact_phone="13812345678",
    )


def test_ticket_numbers_are_sequential_per_day_and_restart_the_next_day(tickets, clock):
    first = tickets.open_ticket(complaint())
    second = tickets.open_ticket(complaint(text="路灯不亮"))
    assert first.number == "GD20261130-0001"
    assert second.number == "GD20261130-0002"
    clock.now += timedelta(days=1)
    assert tickets.open_ticket(complaint()).number == "GD20261201-0001"


def test_the_day_of_a_number_is_the_shanghai_day(tickets, clock):
    clock.now = datetime(2026, 11, 30, 17, 0, tzinfo=timezone.utc)  # 01:00 on 1 December in Shanghai
    assert tickets.open_ticket(complaint()).number.startswith("GD20261201-")


def test_concurrent_writers_never_share_a_number(database_url, service_factory):
    service = service_factory(database_url)
    service.ensure_schema()
    with ThreadPoolExecutor(max_workers=8) as pool:
        numbers = list(pool.map(lambda i: service.open_ticket(complaint(sender=f"r{i}")).number, range(40)))
    assert len(set(numbers)) == 40
    assert sorted(numbers)[-1] == "GD20261130-0040"


def test_complaints_are_routed_with_the_deadline_of_their_category(tickets, clock):
    lift = tickets.open_ticket(complaint(text="3号楼电梯又坏了，老人下不了楼"))
    assert lift.category == "lift"
    assert lift.deadline == clock.now + timedelta(hours=24)
    light = tickets.open_ticket(complaint(text="小区北门的路灯一直不亮"))
    assert light.category == "street_light"
    # Filed Monday 30 Nov: three working days later is Thursday 3 Dec, 17:30 Shanghai time.
    assert light.deadline == datetime(2026, 12, 3, 17, 30, tzinfo=SHANGHAI)
    other = tickets.open_ticket(complaint(text="楼下有人养鸡"))
    assert other.category == "other"
    assert other.department == "社区居委会"


def test_emergencies_sort_first(tickets):
    urgent = tickets.open_ticket(TicketCreate(kind=TicketKind.emergency, title="着火了", sender_id="r"))
    normal = tickets.open_ticket(complaint(text="垃圾没人收"))
    assert urgent.priority < normal.priority


def test_every_ticket_starts_its_history_with_a_created_event(tickets):
    ticket = tickets.open_ticket(complaint())
    with session_scope(tickets.database_url) as session:
        events = (
            session.execute(select(TicketEvent.type).join(Ticket).where(Ticket.number == ticket.number)).scalars().all()
        )
    assert events == ["created"]


def test_a_booking_is_a_ticket_due_at_the_booked_time(tickets):
    stored = tickets.book(booking(), department="居家养老服务站")
    assert stored.number.startswith("GD20261130-")
    assert stored.scheduled_at == datetime(2026, 12, 1, 10, 0, tzinfo=SHANGHAI)
    upcoming = tickets.upcoming_bookings("resident-1")
    assert [b.number for b in upcoming] == [stored.number]
    assert upcoming[0].address == "3栋2单元501"


def test_a_resident_cancels_only_their_own_booking(tickets):
    mine = tickets.book(booking(), department="站点")
    with pytest.raises(TicketNotFound):
        tickets.cancel_booking(sender_id="someone-else", number=mine.number)
    cancelled = tickets.cancel_booking(sender_id="resident-1", number=mine.number.lower())
    assert cancelled.status is TicketStatus.cancelled
    assert tickets.upcoming_bookings("resident-1") == []
    with pytest.raises(TicketNotFound):
        tickets.cancel_booking(sender_id="resident-1", number=mine.number)


def test_past_bookings_are_not_upcoming(tickets, clock):
    tickets.book(booking(when=clock.now + timedelta(hours=2)), department="站点")
    clock.now += timedelta(hours=3)
    assert tickets.upcoming_bookings("resident-1") == []


def test_residents_see_only_their_own_tickets(tickets):
    theirs = tickets.open_ticket(complaint(sender="neighbour"))
    with pytest.raises(TicketNotFound):
        tickets.ticket_of(sender_id="resident-1", number=theirs.number)
    mine = tickets.open_ticket(complaint())
    assert [t.number for t in tickets.tickets_of("resident-1")] == [mine.number]


def test_status_shows_the_latest_staff_reply(tickets):
    ticket = tickets.open_ticket(complaint())
    with session_scope(tickets.database_url) as session:
        row = session.execute(select(Ticket).where(Ticket.number == ticket.number)).scalar_one()
        session.add(TicketEvent(ticket_id=row.id, actor="staff:wang", type="staff_reply", note="已联系维保，明早修"))
    assert tickets.ticket_of(sender_id="resident-1", number=ticket.number).latest_reply == "已联系维保，明早修"


def test_messages_during_a_handoff_go_into_its_transcript(tickets):
    assert tickets.relay_to_staff(sender_id="resident-1", text="还在吗") is None
    handoff = tickets.open_ticket(
        TicketCreate(
            kind=TicketKind.handoff,
            title="转人工",
            sender_id="resident-1",
            transcript=[{"role": "resident", "text": "转人工"}],
        )
    )
    assert tickets.relay_to_staff(sender_id="resident-1", text="我家水管爆了") == handoff.number
    with session_scope(tickets.database_url) as session:
        row = session.execute(select(Ticket).where(Ticket.number == handoff.number)).scalar_one()
        assert [line["text"] for line in row.transcript] == ["转人工", "我家水管爆了"]


def test_mutual_help_posts_are_hidden_until_approved(tickets):
    post = tickets.post_help(PostCreate(kind=PostKind.need, content="周六谁能帮忙接下孩子", sender_id="r"))
    assert post.status is PostStatus.pending
    assert tickets.open_posts() == []
    tickets.approve_post(post.id)
    assert [p.content for p in tickets.open_posts()] == ["周六谁能帮忙接下孩子"]


def test_a_post_is_published_without_the_phone_name_and_flat_typed_into_it(tickets):
    written = "我是王小明，住5栋2单元501，周六谁能帮忙接下孩子，电话13812345678"
    post = tickets.post_help(PostCreate(kind=PostKind.need, content=written, when_text="周六上午", sender_id="r"))
    tickets.approve_post(post.id)
    [shown] = tickets.open_posts()
    assert "13812345678" not in shown.content and "小明" not in shown.content and "501" not in shown.content
    assert "5栋" in shown.content and "周六谁能帮忙接下孩子" in shown.content
    assert shown.when_text == "周六上午"
    with session_scope(tickets.database_url) as session:  # kept in full for the staff who moderate
        assert session.execute(select(MutualHelpPost.content)).scalar_one() == written


def test_feedback_rates_the_latest_finished_ticket(tickets):
    general = tickets.record_feedback(FeedbackCreate(sender_id="resident-1", rating=5, comment="很好"))
    assert general.ticket_number is None
    ticket = tickets.open_ticket(complaint())
    with session_scope(tickets.database_url) as session:
        row = session.execute(select(Ticket).where(Ticket.number == ticket.number)).scalar_one()
        row.status = TicketStatus.resolved
    rated = tickets.record_feedback(FeedbackCreate(sender_id="resident-1", rating=2, comment="修得太慢"))
    assert rated.ticket_number == ticket.number
    with session_scope(tickets.database_url) as session:
        assert session.execute(select(Ticket.rating).where(Ticket.number == ticket.number)).scalar_one() == 2


def test_phone_numbers_are_not_in_a_tickets_repr(tickets):
    ticket = tickets.open_ticket(complaint(contact_phone="13812345678"))
    with session_scope(tickets.database_url) as session:
        row = session.execute(select(Ticket).where(Ticket.number == ticket.number)).scalar_one()
        assert "13812345678" not in repr(row)


def test_an_unreachable_database_is_a_typed_error(tmp_path):
    service = TicketService(f"sqlite:///{tmp_path / 'store.db'}")
    service.ensure_schema()
    (tmp_path / "store.db").unlink()
    (tmp_path / "store.db").mkdir()  # a folder where the file was: every statement fails
    from tickets.db import get_engine

    get_engine(service.database_url).dispose()
    with pytest.raises(TicketStoreUnavailable):
        service.open_ticket(complaint())


def test_a_database_that_cannot_be_opened_at_first_use_is_a_typed_error(tmp_path):
    (tmp_path / "store.db").mkdir()  # the schema cannot even be migrated
    with pytest.raises(TicketStoreUnavailable):
        TicketService(f"sqlite:///{tmp_path / 'store.db'}").unanswered_questions()


def test_a_ticket_gets_the_grid_of_its_address(tickets):
    ticket = tickets.open_ticket(
        TicketCreate(kind=TicketKind.complaint, title="路灯坏了", address="八号楼三单元", sender_id="r-grid")
    )
    with session_scope(tickets.database_url) as session:
        grid = session.execute(select(Ticket.grid).where(Ticket.number == ticket.number)).scalar_one()
    assert grid == "第二网格"
