"""Form validators accept what is right and explain what is not."""

from __future__ import annotations

from datetime import datetime

import pytest
from rasa_sdk.executor import CollectingDispatcher

from actions.forms import (
    ValidateBookingForm,
    ValidateComplaintForm,
    ValidateMutualHelpForm,
    ValidateSuggestionForm,
)
from bot.nlp.timeparse import SHANGHAI
from policy_kb.retrieval import BM25KnowledgeBase
from tests.actions.helpers import responses, tracker

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


def test_a_time_when_the_service_is_closed_is_refused_with_its_hours(form):
    dispatcher = CollectingDispatcher()
    result = form.validate_booking_time("明天晚上十点", dispatcher, tracker(slots={"service": "老年助餐"}), {})
    assert result == {"booking_time": None}
    assert responses(dispatcher) == ["utter_time_closed"]
    assert dispatcher.messages[0]["hours"]


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
