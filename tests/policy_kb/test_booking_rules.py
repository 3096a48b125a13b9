"""The times offered instead of one that cannot be booked, and services found from descriptions."""

from __future__ import annotations

from datetime import datetime

import pytest

from policy_kb import booking_rules
from policy_kb.catalogue import load_catalogue
from policy_kb.retrieval import BM25KnowledgeBase
from text.timeparse import SHANGHAI

MONDAY_9 = datetime(2026, 11, 30, 9, 0, tzinfo=SHANGHAI)


@pytest.fixture(scope="module")
def catalogue():
    return load_catalogue()


def test_one_opening_a_window_from_the_given_time_on(catalogue):
    haircut = catalogue.resolve("助老理发")  # Tuesdays and Fridays, 09:00-11:30 and 14:00-16:30
    openings = booking_rules.next_openings(haircut, datetime(2026, 12, 1, 9, 40, tzinfo=SHANGHAI))
    assert openings == [
        datetime(2026, 12, 1, 10, 0, tzinfo=SHANGHAI),  # the next 30-minute slot of the open window
        datetime(2026, 12, 1, 14, 0, tzinfo=SHANGHAI),
        datetime(2026, 12, 4, 9, 0, tzinfo=SHANGHAI),
    ]
    assert all(booking_rules.is_open_at(haircut, moment) for moment in openings)


def test_the_earliest_opening_leaves_staff_an_hours_notice(catalogue):
    meals = catalogue.resolve("老年助餐")  # every day from 11:00
    assert booking_rules.earliest_opening(meals, datetime(2026, 11, 30, 10, 30, tzinfo=SHANGHAI)) == datetime(
        2026, 11, 30, 11, 30, tzinfo=SHANGHAI
    )
    assert booking_rules.earliest_opening(meals, MONDAY_9) == datetime(2026, 11, 30, 11, 0, tzinfo=SHANGHAI)


@pytest.mark.parametrize("words, meant", [("最近的", True), ("越早越好", True), ("都行", True), ("明天下午", False)])
def test_any_time_the_sooner_the_better(words, meant):
    assert booking_rules.wants_earliest(words) is meant


@pytest.fixture(scope="module")
def kb():
    return BM25KnowledgeBase()


def test_a_clear_description_names_one_bookable_service(kb):
    assert booking_rules.match_bookable(kb, "来家里帮忙打扫卫生")[0].name == "家政服务"
    assert booking_rules.match_bookable(kb, "给我妈量量血压")[0].name == "健康体检"


def test_a_vague_description_of_help_at_home_may_mean_any_service_at_home(kb):
    sure, candidates = booking_rules.match_bookable(kb, "来家里帮忙")
    assert sure is None
    assert candidates and all(entry.booking.at_home for entry in candidates)


def test_words_that_match_nothing_offer_nothing(kb):
    assert booking_rules.match_bookable(kb, "火箭发射") == (None, [])
