"""Actions on a real SQLite store: what residents are told, and what is stored."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from pathlib import Path

import pytest
import yaml
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import select, update

from actions.actions import (
    ActionAttachEvidence,
    ActionCheckTicketStatus,
    ActionHandleEmergency,
    ActionOfferBookingCancellation,
    ActionRecordFeedback,
    ActionReopenTicket,
    ActionRequestHuman,
    ActionSubmitBooking,
    ActionSubmitComplaint,
)
from actions.formatting import STATUS_NAMES
from bot.nlp.timeparse import SHANGHAI
from policy_kb.retrieval import BM25KnowledgeBase
from tests.actions.helpers import BrokenStore, entity, responses, tracker
from tickets.accounts import AccountService
from tickets.alerts import AlertPolicy, DutyAlerts, DutyMemberIn
from tickets.db import session_scope
from tickets.models import Ticket, TicketStatus
from tickets.service import TicketService

DOMAIN = yaml.safe_load((Path(__file__).resolve().parents[2] / "domain.yml").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def kb():
    return BM25KnowledgeBase()


@pytest.fixture
def store(sqlite_url) -> TicketService:
    return TicketService(sqlite_url)


def run(action, slots=None, **message):
    dispatcher = CollectingDispatcher()
    events = asyncio.run(action.run(dispatcher, tracker(slots=slots, **message), {}))
    return dispatcher, events


def test_a_booking_is_stored_and_its_number_told(store, kb):
    when = (datetime.now(SHANGHAI) + timedelta(days=2)).replace(hour=10, minute=0, second=0, microsecond=0)
    slots = {"service": "助老理发", "booking_time": when.isoformat(), "address": "3栋2单元501", "phone": "13812345678"}
    dispatcher, events = run(ActionSubmitBooking(tickets=store, knowledge_base=kb), slots=slots)
    assert responses(dispatcher) == ["utter_booking_done"]
    [booking] = store.upcoming_bookings("resident-1")
    assert dispatcher.messages[0]["number"] == booking.number
    assert {"event": "slot", "name": "service", "value": None} in [
        {k: e[k] for k in ("event", "name", "value")} for e in events
    ]


def test_the_only_booking_is_offered_for_cancellation(store, kb):
    when = datetime.now(SHANGHAI) + timedelta(days=1)
    slots = {"service": "老年助餐", "booking_time": when.isoformat(), "phone": "13812345678"}
    run(ActionSubmitBooking(tickets=store, knowledge_base=kb), slots=slots)
    dispatcher, events = run(ActionOfferBookingCancellation(tickets=store), intent="cancel_booking")
    assert responses(dispatcher) == ["utter_confirm_cancel"]
    assert events[0]["name"] == "cancel_candidate" and events[0]["value"].startswith("GD")


def test_no_booking_no_question(store):
    dispatcher, _ = run(ActionOfferBookingCancellation(tickets=store), intent="cancel_booking")
    assert responses(dispatcher) == ["utter_no_bookings"]


def test_a_complaint_reply_names_number_department_and_deadline(store):
    slots = {"complaint_text": "5号楼电梯坏了", "address": "5号楼", "phone": "anonymous"}
    dispatcher, _ = run(ActionSubmitComplaint(tickets=store), slots=slots)
    assert responses(dispatcher) == ["utter_complaint_filed", "utter_complaint_anonymous"]
    filed = dispatcher.messages[0]
    assert filed["category"] == "电梯故障" and "物业" in filed["department"] and filed["number"].startswith("GD")
    [ticket] = store.tickets_of("resident-1")
    assert ticket.address == "5号楼"


def test_when_the_store_is_down_the_resident_is_told_honestly():
    slots = {"complaint_text": "5号楼电梯坏了", "address": "5号楼", "phone": "anonymous"}
    dispatcher, events = run(ActionSubmitComplaint(tickets=BrokenStore()), slots=slots)
    assert responses(dispatcher) == ["utter_store_unavailable"]
    assert events == []  # nothing pretends to be filed


def test_an_emergency_ends_the_form_and_says_so_when_the_store_is_down():
    dispatcher, events = run(ActionHandleEmergency(tickets=BrokenStore()), text="楼下着火了", intent="report_emergency")
    assert responses(dispatcher) == ["utter_emergency_duty_phone", "utter_emergency_not_stored"]
    assert any(e["event"] == "active_loop" and e["name"] is None for e in events)


def test_an_emergency_tells_its_urgent_ticket_at_once_and_does_not_claim_anyone_knows_yet(store):
    """Whether the alarm reached someone is told afterwards by the staff service (tickets.follow_ups):
    the action neither waits for it nor says 已通知."""
    AccountService(store.database_url, ensure_schema=store.ensure_schema).create_user("wang", "password-123")
    alerts = DutyAlerts(store, AlertPolicy(gateway=True))
    alerts.set_roster([DutyMemberIn(username="wang", phone="13800000001")])
    dispatcher, events = run(
        ActionHandleEmergency(tickets=store, alerts=alerts), text="我爸摔倒了起不来", intent="report_emergency"
    )
    [ticket] = store.tickets_of("resident-1")
    assert responses(dispatcher) == ["utter_emergency_duty_phone", "utter_emergency_ticket"]
    assert dispatcher.messages[0]["duty_phone"] and dispatcher.messages[1]["number"] == ticket.number
    assert ticket.priority == 0
    assert not alerts.delivered_any(ticket.number)  # nobody delivered it, and the action did not wait for it
    told = DOMAIN["responses"]["utter_emergency_ticket"][0]["text"]
    assert "已通知" not in told and "已经通知" not in told and "正在通知" in told
    assert any(e["event"] == "active_loop" and e["name"] is None for e in events)  # any form is over
    assert ticket.priority == 0
    assert any(e["event"] == "active_loop" and e["name"] is None for e in events)


def test_a_handoff_opens_a_ticket_and_silences_the_bot(store):
    dispatcher, events = run(ActionRequestHuman(tickets=store), text="转人工", intent="request_human")
    assert responses(dispatcher)[0] in ("utter_handoff_opened", "utter_handoff_after_hours")
    assert {"event": "slot", "name": "handoff_active", "value": True} in [
        {k: e.get(k) for k in ("event", "name", "value")} for e in events
    ]
    assert store.tickets_of("resident-1")[0].kind.value == "handoff"


def test_status_of_someone_elses_ticket_is_not_found(store):
    slots = {"complaint_text": "路灯不亮", "address": "北门", "phone": "anonymous"}
    run(ActionSubmitComplaint(tickets=store), slots=slots)
    number = store.tickets_of("resident-1")[0].number
    dispatcher, _ = run(
        ActionCheckTicketStatus(tickets=store),
        intent="check_ticket_status",
        entities=[entity("ticket_id", number)],
        sender="someone-else",
    )
    assert responses(dispatcher) == ["utter_ticket_not_found"]


def test_a_legal_answer_comes_in_short_messages_and_offers_a_consultation(kb):
    from actions.actions import ActionAnswerLegal

    dispatcher, events = run(
        ActionAnswerLegal(knowledge_base=kb), text="老板拖欠工资三个月了怎么办", intent="ask_legal"
    )
    sent = responses(dispatcher)
    assert sent[0] == "utter_legal_intro" and dispatcher.messages[0]["topic"] == "拖欠工资"
    routes = [m for m in dispatcher.messages if m.get("response") == "utter_legal_route"]
    assert [m["name"] for m in routes][0] == "法律援助"
    assert sent[-1] == "utter_offer_booking"
    assert events[-1]["name"] == "offered_service" and events[-1]["value"] == "法律咨询"


def test_a_consultation_lists_every_material(kb):
    from actions.actions import ActionAnswerConsultation

    dispatcher, _ = run(ActionAnswerConsultation(knowledge_base=kb), text="办居住证要带什么", intent="consult_service")
    materials = next(m for m in dispatcher.messages if m.get("response") == "utter_service_materials")["materials"]
    for item in kb.catalogue.resolve("居住证").materials:
        assert item in materials


def test_an_unclear_question_gets_numbered_choices(store, kb):
    from actions.actions import ActionAnswerConsultation

    action = ActionAnswerConsultation(tickets=store, knowledge_base=kb)
    dispatcher, _ = run(action, text="补贴", intent="consult_service")
    assert responses(dispatcher) == ["utter_which_service"]
    assert 2 <= len(dispatcher.messages[0]["buttons"]) <= 3


def complain(store: TicketService, text: str) -> None:
    run(ActionSubmitComplaint(tickets=store), slots={"complaint_text": text, "address": "北门", "phone": "anonymous"})


def test_every_ticket_status_has_words_for_residents():
    assert set(STATUS_NAMES) == set(TicketStatus)


def test_a_photo_is_attached_to_the_residents_open_complaint_only(store):
    photo = {"attachment": {"kind": "image", "url": "http://mmbiz.qpic.cn/p.jpg"}}
    dispatcher, _ = run(ActionAttachEvidence(tickets=store), text="[图片]", metadata=photo)
    assert responses(dispatcher) == ["utter_evidence_without_ticket"]
    run(
        ActionSubmitComplaint(tickets=store),
        slots={"complaint_text": "路灯不亮", "address": "北门", "phone": "anonymous"},
    )
    number = store.tickets_of("resident-1")[0].number
    dispatcher, _ = run(ActionAttachEvidence(tickets=store), text="[图片]", metadata=photo)
    assert responses(dispatcher) == ["utter_image_attached"]
    assert dispatcher.messages[0]["number"] == number
    other, _ = run(ActionAttachEvidence(tickets=store), text="[图片]", metadata=photo, sender="neighbour")
    assert responses(other) == ["utter_evidence_without_ticket"]


def test_a_location_out_of_range_is_not_stored(store):
    run(
        ActionSubmitComplaint(tickets=store),
        slots={"complaint_text": "路灯不亮", "address": "北门", "phone": "anonymous"},
    )
    wrong = {"attachment": {"kind": "location", "latitude": 999, "longitude": 118.7}}
    dispatcher, _ = run(ActionAttachEvidence(tickets=store), text="[位置]", metadata=wrong)
    assert responses(dispatcher) == ["utter_evidence_without_ticket"]


def test_the_rating_asked_for_lands_on_that_ticket_and_the_request_is_cleared(store):
    run(
        ActionSubmitComplaint(tickets=store),
        slots={"complaint_text": "路灯不亮", "address": "北门", "phone": "anonymous"},
    )
    run(
        ActionSubmitComplaint(tickets=store),
        slots={"complaint_text": "垃圾没清", "address": "南门", "phone": "anonymous"},
    )
    older, newer = sorted(ticket.number for ticket in store.tickets_of("resident-1"))
    dispatcher, events = run(ActionRecordFeedback(tickets=store), slots={"rating_ticket": older}, text="4分")
    assert responses(dispatcher) == ["utter_feedback_on_ticket"] and dispatcher.messages[0]["number"] == older
    assert {"event": "slot", "name": "rating_ticket", "value": None} in [
        {k: e.get(k) for k in ("event", "name", "value")} for e in events
    ]
    with session_scope(store.database_url) as session:
        ratings = dict(session.execute(select(Ticket.number, Ticket.rating)).all())
    assert ratings == {older: 4, newer: None}


def test_a_photo_in_the_middle_of_a_complaint_asks_to_finish_it_first(store):
    photo = {"attachment": {"kind": "image", "url": "http://mmbiz.qpic.cn/p.jpg"}}
    dispatcher, _ = run(
        ActionAttachEvidence(tickets=store), text="[图片]", metadata=photo, active_loop="complaint_form"
    )
    assert responses(dispatcher) == ["utter_evidence_during_complaint"]


def test_not_fixed_reopens_the_resolved_ticket_asked_about(store):
    complain(store, "路灯不亮")
    number = store.tickets_of("resident-1")[0].number
    dispatcher, _ = run(ActionReopenTicket(tickets=store), slots={"rating_ticket": number}, text="还没修好")
    assert responses(dispatcher) == ["utter_ticket_not_reopened"]  # still open: nothing to reopen
    with session_scope(store.database_url) as session:
        session.execute(update(Ticket).where(Ticket.number == number).values(status=TicketStatus.resolved))
    dispatcher, events = run(ActionReopenTicket(tickets=store), slots={"rating_ticket": number}, text="还没修好")
    assert responses(dispatcher) == ["utter_ticket_reopened"]
    assert store.ticket_of(sender_id="resident-1", number=number).status is TicketStatus.in_progress
    other, _ = run(ActionReopenTicket(tickets=store), slots={"rating_ticket": number}, text="没修好", sender="x")
    assert responses(other) == ["utter_ticket_not_reopened"]


def test_a_merged_ticket_points_to_the_one_the_resident_now_follows(store):
    complain(store, "路灯不亮")
    complain(store, "门口路灯坏了")
    older, newer = sorted(ticket.number for ticket in store.tickets_of("resident-1"))
    with session_scope(store.database_url) as session:
        target = session.execute(select(Ticket.id).where(Ticket.number == older)).scalar_one()
        session.execute(
            update(Ticket).where(Ticket.number == newer).values(status=TicketStatus.duplicate, merged_into_id=target)
        )
    dispatcher, _ = run(
        ActionCheckTicketStatus(tickets=store), intent="check_ticket_status", entities=[entity("ticket_id", newer)]
    )
    assert responses(dispatcher) == ["utter_ticket_merged"]
    assert (dispatcher.messages[0]["number"], dispatcher.messages[0]["into"]) == (newer, older)
