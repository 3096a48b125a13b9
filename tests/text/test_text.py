"""Times, phones and ratings as residents write them."""

from __future__ import annotations

from datetime import datetime

import pytest

from text.followup import says_not_fixed
from text.phones import mask_phone, mask_phones_in, normalise_phone
from text.rating import extract_rating
from text.timeparse import SHANGHAI, parse_time

NOW = datetime(2026, 11, 29, 10, 0, tzinfo=SHANGHAI)  # a Sunday


@pytest.mark.parametrize(
    "text, expected, exact",
    [
        ("明天下午三点", datetime(2026, 11, 30, 15, 0, tzinfo=SHANGHAI), True),
        ("明早八点", datetime(2026, 11, 30, 8, 0, tzinfo=SHANGHAI), True),
        ("12月3号", datetime(2026, 12, 3, 0, 0, tzinfo=SHANGHAI), False),
        ("后天早上9点半", datetime(2026, 12, 1, 9, 30, tzinfo=SHANGHAI), True),
        # A Saturday that has passed means the next one; so does a day of the month.
        ("周六上午十点", datetime(2026, 12, 5, 10, 0, tzinfo=SHANGHAI), True),
        ("3号下午两点", datetime(2026, 12, 3, 14, 0, tzinfo=SHANGHAI), True),
        ("下周二上午", datetime(2026, 12, 1, 7, 0, tzinfo=SHANGHAI), False),
    ],
)
def test_time_expressions_become_shanghai_times(text, expected, exact):
    parsed = parse_time(text, now=NOW)
    assert parsed is not None
    assert parsed.start == expected
    assert parsed.has_clock_time is exact


def test_a_day_named_as_past_stays_in_the_past():
    assert parse_time("上周六", now=NOW).start < NOW


@pytest.mark.parametrize("text", ["你好", "随便", "", "我要理发"])
def test_text_without_a_time_gives_none(text):
    assert parse_time(text, now=NOW) is None


@pytest.mark.parametrize(
    "text, expected",
    [
        ("13812345678", "13812345678"),
        ("我的电话是138 1234 5678", "13812345678"),
        ("139-1234-5678", "13912345678"),
        ("１３９１２３４５６７８", "13912345678"),
        ("一三八一二三四五六七八", "13812345678"),
        ("025-84561234", "02584561234"),
        ("12345", None),
        ("23812345678", None),
        ("没有电话", None),
    ],
)
def test_phone_numbers_are_validated_as_mainland_numbers(text, expected):
    assert normalise_phone(text) == expected


def test_masked_phone_keeps_only_the_ends():
    assert mask_phone("13812345678") == "138****5678"


@pytest.mark.parametrize(
    "text, rating",
    [
        ("五星好评", 5),
        ("打3分吧", 3),
        ("给个差评，态度太差", 1),
        ("很不满意", 1),
        ("不满意", 2),
        ("一般般吧", 3),
        ("这次服务很满意", 5),
        ("4", 4),
        ("师傅来了", None),
    ],
)
def test_ratings_from_words(text, rating):
    assert extract_rating(text) == rating


@pytest.mark.parametrize(
    "text, masked",
    [
        ("我电话13812345678，低保找谁", "我电话***********，低保找谁"),
        ("座机025-84561234", "座机***-********"),
        ("一三八一二三四五六七八", "***********"),  # dictated digits
        ("3号楼2单元501十一点", "3号楼2单元501十一点"),  # addresses and times stay
    ],
)
def test_phone_numbers_in_free_text_are_masked(text, masked):
    assert mask_phones_in(text) == masked


@pytest.mark.parametrize(
    "text, not_fixed",
    [
        ("还没修好", True),
        ("根本没人来看过", True),
        ("电梯又坏了", True),
        ("还是漏水", True),
        ("问题还在 没解决", True),
        ("修好了 谢谢", False),
        ("5分", False),
        ("很满意", False),
        ("挺好的 师傅很负责", False),
    ],
)
def test_a_follow_up_answer_that_says_it_is_not_fixed(text, not_fixed):
    assert says_not_fixed(text) is not_fixed
