"""Form validators accept what is right and explain what is not."""

from __future__ import annotations

import asyncio
import json
from datetime import datetime
from typing import Any, Dict, List

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.forms import (
    ValidateBookingForm,
    ValidateComplaintForm,
    ValidateMutualHelpForm,
    ValidateSuggestionForm,
)
from policy_kb.retrieval import BM25KnowledgeBase
from tests.actions.helpers import entity, responses, tracker
from text.timeparse import SHANGHAI

NOW = datetime(2026, 11, 30, 9, 0, tzinfo=SHANGHAI)  # Monday morning


@pytest.fixture(scope="module")
def kb():
    return BM25KnowledgeBase()


@pytest.fixture
def form(kb):
    return ValidateBookingForm(knowledge_base=kb, clock=lambda: NOW)


def test_service_words_become_the_catalogue_name(form):
    dispatcher = CollectingDispatcher()
    assert form.validate_service("剪头发", dispatcher, tracker(), {}) == {"service": "助老理发"}
    assert dispatcher.messages == []


def test_a_service_that_cannot_be_booked_is_explained(form):
    dispatcher = CollectingDispatcher()
    assert form.validate_service("高龄津贴", dispatcher, tracker(), {}) == {"service": None}
    assert responses(dispatcher) == ["utter_service_not_bookable"]


def test_an_unknown_service_is_refused(form):
    dispatcher = CollectingDispatcher()
    assert form.validate_service("火箭发射", dispatcher, tracker(), {}) == {"service": None}
    assert responses(dispatcher) == ["utter_service_unknown"]


def test_a_time_inside_opening_hours_is_stored_as_iso(form):
    result = form.validate_booking_time(
        "明天上午十点", CollectingDispatcher(), tracker(slots={"service": "助老理发"}), {}
    )
    assert datetime.fromisoformat(result["booking_time"]) == datetime(2026, 12, 1, 10, 0, tzinfo=SHANGHAI)


def test_a_past_time_is_refused(form):
    dispatcher = CollectingDispatcher()
    result = form.validate_booking_time("今天早上七点", dispatcher, tracker(slots={"service": "助老理发"}), {})
    assert result == {"booking_time": None}
    assert responses(dispatcher) == ["utter_time_in_past"]


def test_a_time_when_the_service_is_closed_is_refused_with_its_hours_and_the_next_open_times(form):
    dispatcher = CollectingDispatcher()
    result = form.validate_booking_time("明天晚上十点", dispatcher, tracker(slots={"service": "老年助餐"}), {})
    assert result == {"booking_time": None, "options_shown": True}
    assert responses(dispatcher) == ["utter_time_closed", "utter_time_offer"]
    assert dispatcher.messages[0]["hours"]
    offered = dispatcher.messages[1]["buttons"]
    # 老年助餐 opens 11:00-12:30 and 17:00-18:30 every day: tomorrow's two windows, then the day after's.
    assert [button["title"] for button in offered] == [
        "1. 12月1日（周二）11:00",
        "2. 12月1日（周二）17:00",
        "3. 12月2日（周三）11:00",
    ]
    assert dispatcher.messages[1]["options"].startswith("1. 12月1日（周二）11:00\n2. ")


def test_an_offered_time_picked_by_number_is_booked(form):
    dispatcher = CollectingDispatcher()
    form.validate_booking_time("明天晚上十点", dispatcher, tracker(slots={"service": "老年助餐"}), {})
    payload = dispatcher.messages[1]["buttons"][1]["payload"]
    assert payload == '/inform{"date_time":"2026-12-01T17:00:00+08:00"}'
    picked = json.loads(payload[len("/inform") :])["date_time"]
    result = form.validate_booking_time(picked, CollectingDispatcher(), tracker(slots={"service": "老年助餐"}), {})
    assert result == {"booking_time": "2026-12-01T17:00:00+08:00"}


@pytest.mark.parametrize("words", ["最近的", "越早越好", "都行", "最近的就行"])
def test_any_time_the_sooner_the_better_books_the_first_open_time(form, words):
    result = form.validate_booking_time(words, CollectingDispatcher(), tracker(slots={"service": "老年助餐"}), {})
    # Monday 09:00 with an hour's notice: today's 11:00 opening.
    assert result == {"booking_time": "2026-11-30T11:00:00+08:00"}


def test_a_vague_time_snaps_to_the_opening(form):
    result = form.validate_booking_time("明天中午", CollectingDispatcher(), tracker(slots={"service": "老年助餐"}), {})
    booked = datetime.fromisoformat(result["booking_time"])
    assert booked.date() == datetime(2026, 12, 1).date()
    assert 11 <= booked.hour <= 13


def test_words_without_a_time_are_not_guessed(form):
    dispatcher = CollectingDispatcher()
    assert form.validate_booking_time("随便吧", dispatcher, tracker(), {}) == {"booking_time": None}
    assert responses(dispatcher) == ["utter_time_not_understood"]


def test_phone_must_be_a_mainland_number(form):
    dispatcher = CollectingDispatcher()
    assert form.validate_phone("12345", dispatcher, tracker(), {}) == {"phone": None}
    assert responses(dispatcher) == ["utter_phone_invalid"]
    assert form.validate_phone("电话138 1234 5678", CollectingDispatcher(), tracker(), {}) == {"phone": "13812345678"}


def test_saying_no_at_the_read_back_starts_over(form):
    dispatcher = CollectingDispatcher()
    result = form.validate_booking_confirmed(False, dispatcher, tracker(), {})
    assert result["service"] is None and result["booking_time"] is None and result["booking_confirmed"] is None
    assert responses(dispatcher) == ["utter_booking_start_over"]


def test_address_is_asked_only_for_services_at_home(form):
    import asyncio

    slots = ["service", "booking_time", "address", "phone", "booking_confirmed"]
    at_home = asyncio.run(
        form.required_slots(slots, CollectingDispatcher(), tracker(slots={"service": "助老理发"}), {})
    )
    on_site = asyncio.run(
        form.required_slots(slots, CollectingDispatcher(), tracker(slots={"service": "老年助餐"}), {})
    )
    assert "address" in at_home
    assert "address" not in on_site


@pytest.mark.parametrize(
    "text, kept",
    [
        ("我要投诉", False),
        ("投诉一下", False),
        ("3号楼电梯坏了三天了", True),
        ("/file_complaint", False),  # a menu button's payload, not a description
        ('/file_complaint{"address": "3号楼"}', False),
    ],
)
def test_a_complaint_needs_some_detail(text, kept):
    result = ValidateComplaintForm().validate_complaint_text(text, CollectingDispatcher(), tracker(), {})
    assert (result["complaint_text"] is not None) is kept


def test_a_complaint_may_be_anonymous():
    form = ValidateComplaintForm()
    assert form.validate_phone("anonymous", CollectingDispatcher(), tracker(), {}) == {"phone": "anonymous"}


def test_any_time_is_accepted_for_a_mutual_help_post():
    form = ValidateMutualHelpForm()
    assert form.validate_help_time("都行", CollectingDispatcher(), tracker(), {}) == {"help_time": "时间不限"}


def test_a_button_payload_is_no_answer_to_a_free_text_question():
    suggestion = ValidateSuggestionForm().validate_suggestion_text(
        "/make_suggestion", CollectingDispatcher(), tracker(), {}
    )
    help_post = ValidateMutualHelpForm().validate_help_text("/post_mutual_help", CollectingDispatcher(), tracker(), {})
    assert suggestion == {"suggestion_text": None}
    assert help_post == {"help_text": None}


def test_a_described_service_is_found_in_the_catalogue(form):
    dispatcher = CollectingDispatcher()
    result = form.validate_service("想找人来家里帮忙打扫打扫卫生", dispatcher, tracker(), {})
    assert result == {"service": "家政服务"}
    assert dispatcher.messages == []


def test_an_unsure_description_gets_numbered_services_at_home(form):
    dispatcher = CollectingDispatcher()
    result = form.validate_service("来家里帮忙", dispatcher, tracker(), {})
    assert result == {"service": None, "options_shown": True}
    assert responses(dispatcher) == ["utter_service_choose"]
    buttons = dispatcher.messages[0]["buttons"]
    names = [json.loads(button["payload"][len("/inform") :])["service"] for button in buttons]
    assert {"家政服务", "居家照护", "上门探访"} <= set(names)
    assert "老年助餐" not in names  # eaten at the meal point, not at home
    assert [button["title"][:2] for button in buttons] == [f"{n}." for n in range(1, len(buttons) + 1)]


BOOKING_DOMAIN = {
    "forms": {"booking_form": {"required_slots": ["service", "booking_time", "address", "phone", "booking_confirmed"]}}
}


def form_turn(
    text: str,
    *,
    requested: str,
    filled: Dict[str, Any],
    extracted: Dict[str, Any] | None = None,
    intent: str = "inform",
    entities: List[Dict[str, Any]] | None = None,
    misses: Dict[str, Any] | None = None,
) -> Tracker:
    """The booking form's validation call after the resident answered: earlier turns filled
    ``filled``, Rasa's slot mappings extracted ``extracted`` from ``text``."""
    message = {"text": text, "intent": {"name": intent, "confidence": 0.9}, "entities": entities or []}
    earlier = [{"event": "user", "text": "我想预约", "parse_data": {}}]
    earlier += [{"event": "slot", "name": name, "value": value} for name, value in filled.items()]
    events = [*earlier, {"event": "bot", "text": "…"}, {"event": "user", "text": text, "parse_data": message}]
    events += [{"event": "slot", "name": name, "value": value} for name, value in (extracted or {}).items()]
    slots = {**filled, **(extracted or {}), "requested_slot": requested, "form_misses": misses}
    return Tracker("resident-1", slots, message, events, False, None, {"name": "booking_form"}, "action_listen")


def slot_events(events) -> Dict[str, Any]:
    return {event["name"]: event["value"] for event in events if event.get("event") == "slot"}


HAIRCUT = {"service": "助老理发", "booking_time": "2026-12-01T10:00:00+08:00"}


def test_a_corrected_time_when_the_service_is_closed_offers_the_open_times(form):
    dispatcher = CollectingDispatcher()
    turn = form_turn(
        "不对，改成后天上午",
        requested="address",
        filled=HAIRCUT,
        intent="deny",
        entities=[entity("date_time", "后天上午") | {"start": 5, "end": 9}],
    )
    slots = slot_events(asyncio.run(form.run(dispatcher, turn, BOOKING_DOMAIN)))
    # 助老理发 opens on Tuesdays and Fridays only: Wednesday is refused, with the open times.
    assert slots["booking_time"] is None and slots["options_shown"] is True
    assert "address" not in slots or slots["address"] is None


def test_a_corrected_time_is_applied_and_the_pending_question_asked_again(form):
    dispatcher = CollectingDispatcher()
    turn = form_turn(
        "不对，改成周五上午十点",
        requested="address",
        filled=HAIRCUT,
        extracted={"address": "不对，改成周五上午十点"},  # the address question takes any text
        entities=[entity("date_time", "周五上午十点") | {"start": 5, "end": 11}],
    )
    slots = slot_events(asyncio.run(form.run(dispatcher, turn, BOOKING_DOMAIN)))
    assert slots["booking_time"] == "2026-12-04T10:00:00+08:00"
    assert slots["address"] is None  # not taken as the address: the form asks for it again
    assert responses(dispatcher) == ["utter_answer_corrected"]
    assert dispatcher.messages[0]["value"] == "12月4日（周五）10:00"


def test_an_address_corrected_while_the_phone_is_pending_is_applied(form):
    dispatcher = CollectingDispatcher()
    turn = form_turn("地址写错了 是5栋", requested="phone", filled={**HAIRCUT, "address": "3栋"}, intent="deny")
    slots = slot_events(asyncio.run(form.run(dispatcher, turn, BOOKING_DOMAIN)))
    assert slots["address"] == "5栋"
    assert "phone" not in slots  # still pending: the form asks for it again
    assert responses(dispatcher) == ["utter_answer_corrected"]


def test_a_correction_at_the_read_back_changes_the_time_instead_of_starting_over(form):
    dispatcher = CollectingDispatcher()
    turn = form_turn(
        "不对，改成周五上午十点",
        requested="booking_confirmed",
        filled={**HAIRCUT, "address": "3栋", "phone": "13812345678"},
        extracted={"booking_confirmed": False},  # "不对" is a no
        intent="deny",
    )
    slots = slot_events(asyncio.run(form.run(dispatcher, turn, BOOKING_DOMAIN)))
    assert slots["booking_time"] == "2026-12-04T10:00:00+08:00"
    assert slots["booking_confirmed"] is None
    assert "service" not in slots and "utter_booking_start_over" not in responses(dispatcher)


def test_a_plain_no_is_no_correction(form):
    turn = form_turn("不对", requested="phone", filled={**HAIRCUT, "address": "3栋"}, intent="deny")
    assert asyncio.run(form.run(CollectingDispatcher(), turn, BOOKING_DOMAIN)) == []


def test_two_answers_in_a_row_that_fill_nothing_offer_choices_a_person_or_leaving(form):
    first = CollectingDispatcher()
    turn = form_turn("火箭发射", requested="service", filled={}, extracted={"service": "火箭发射"})
    slots = slot_events(asyncio.run(form.run(first, turn, BOOKING_DOMAIN)))
    assert responses(first) == ["utter_service_unknown"]
    misses = slots["form_misses"]
    assert misses["count"] == 1

    second = CollectingDispatcher()
    turn = form_turn("飞机票", requested="service", filled={}, extracted={"service": "飞机票"}, misses=misses)
    turn.events.insert(0, {"event": "user", "text": "火箭发射", "parse_data": {}})  # one turn later
    slots = slot_events(asyncio.run(form.run(second, turn, BOOKING_DOMAIN)))
    assert slots["form_misses"]["count"] == 2 and slots["options_shown"] is True
    assert responses(second) == ["utter_service_unknown", "utter_form_way_out"]
    payloads = [button["payload"] for button in second.messages[-1]["buttons"]]
    assert payloads[0] == '/inform{"service":"老年助餐"}'
    assert payloads[-2:] == ["/request_human", "/goodbye"]


def test_a_filled_answer_resets_the_count(form):
    turn = form_turn(
        "3栋2单元501",
        requested="address",
        filled=HAIRCUT,
        extracted={"address": "3栋2单元501"},
        misses={"slot": "address", "count": 1, "turn": 2},
    )
    slots = slot_events(asyncio.run(form.run(CollectingDispatcher(), turn, BOOKING_DOMAIN)))
    assert slots["address"] == "3栋2单元501" and slots["form_misses"] is None


def test_a_resident_stuck_on_the_complaints_phone_is_offered_to_stay_anonymous():
    domain = {"forms": {"complaint_form": {"required_slots": ["complaint_text", "address", "phone"]}}}
    filled = {"complaint_text": "3号楼电梯坏了三天了", "address": "3号楼"}
    message = {"text": "54321", "intent": {"name": "inform", "confidence": 0.9}, "entities": []}
    events = [
        {"event": "user", "text": "3号楼电梯坏了三天了", "parse_data": {}},
        *[{"event": "slot", "name": name, "value": value} for name, value in filled.items()],
        {"event": "user", "text": "12345", "parse_data": {}},
        {"event": "user", "text": "54321", "parse_data": message},
        {"event": "slot", "name": "phone", "value": "54321"},
    ]
    slots = {
        **filled,
        "phone": "54321",
        "requested_slot": "phone",
        "form_misses": {"slot": "phone", "count": 1, "turn": 2},
    }
    turn = Tracker("resident-1", slots, message, events, False, None, {"name": "complaint_form"}, "action_listen")
    dispatcher = CollectingDispatcher()
    asyncio.run(ValidateComplaintForm().run(dispatcher, turn, domain))
    assert responses(dispatcher) == ["utter_phone_invalid_or_anonymous", "utter_form_way_out"]
    assert [button["payload"] for button in dispatcher.messages[-1]["buttons"]] == [
        "/deny",
        "/request_human",
        "/goodbye",
    ]
    assert dispatcher.messages[-1]["options"] == "1. 不留电话（匿名）\n2. 找工作人员\n3. 不办了，退出"
