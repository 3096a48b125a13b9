"""The shipped catalogue is valid; a broken file is a clear error, never a crash."""

from __future__ import annotations

import shutil
from datetime import datetime

import pytest

from policy_kb import booking_rules
from policy_kb.catalogue import CATALOGUE_DIR, load_catalogue
from text.timeparse import SHANGHAI

BOOKABLE = {
    "老年助餐",
    "上门送餐",
    "居家照护",
    "家政服务",
    "上门探访",
    "健康体检",
    "心理咨询",
    "法律咨询",
    "活动室",
    "会议室",
    "助老理发",
    "家电维修",
}


@pytest.fixture(scope="module")
def catalogue():
    return load_catalogue()


def test_the_shipped_catalogue_has_no_problems(catalogue):
    assert catalogue.problems == []
    assert len(catalogue.entries) >= 60


def test_every_bookable_service_has_opening_hours(catalogue):
    assert {entry.name for entry in catalogue.bookable()} == BOOKABLE


def test_residents_words_resolve_to_services(catalogue):
    assert catalogue.resolve("剪头发").name == "助老理发"
    assert catalogue.resolve("助餐").name == "老年助餐"
    assert catalogue.resolve(" 家政 ").name == "家政服务"
    assert catalogue.resolve("火箭发射") is None


def test_a_broken_entry_names_its_file_and_field(tmp_path):
    shutil.copytree(CATALOGUE_DIR, tmp_path / "catalogue")
    broken = tmp_path / "catalogue" / "broken.yml"
    broken.write_text(
        "topic: 测试\nservices:\n- id: Bad Id\n  name: 测试服务\n  category: 测试\n",
        encoding="utf-8",
    )
    catalogue = load_catalogue(tmp_path / "catalogue")
    fields = {(problem.file, problem.field) for problem in catalogue.problems}
    assert ("broken.yml", "services.0.id") in fields
    assert ("broken.yml", "services.0.summary") in fields
    assert len(catalogue.entries) == len(load_catalogue().entries)


def test_invalid_yaml_is_reported_not_raised(tmp_path):
    (tmp_path / "bad.yml").write_text("topic: [unclosed\n", encoding="utf-8")
    catalogue = load_catalogue(tmp_path)
    assert catalogue.entries == []
    assert catalogue.problems[0].file == "bad.yml"


def test_opening_hours_decide_when_a_service_can_be_booked(catalogue):
    meals = catalogue.resolve("老年助餐")
    monday_noon = datetime(2026, 11, 30, 11, 30, tzinfo=SHANGHAI)
    monday_night = datetime(2026, 11, 30, 22, 0, tzinfo=SHANGHAI)
    assert booking_rules.is_open_at(meals, monday_noon)
    assert not booking_rules.is_open_at(meals, monday_night)


def test_a_vague_part_of_day_snaps_to_the_first_opening(catalogue):
    haircut = catalogue.resolve("助老理发")
    morning = datetime(2026, 12, 1, 7, 0, tzinfo=SHANGHAI)  # "下周二上午"
    opening = booking_rules.first_opening_after(haircut, morning)
    assert opening is not None and opening > morning
    assert booking_rules.is_open_at(haircut, opening)
