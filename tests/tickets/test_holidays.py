"""Deadlines in working days from the holiday tables in tickets/holidays/, before chinesecalendar,
and a warning while the coming weeks fall in a year nobody has entered."""

from __future__ import annotations

import logging
import shutil
from datetime import date, datetime, timedelta
from pathlib import Path

import chinese_calendar
import pytest

from tickets.holidays import HOLIDAYS_DIR, SHANGHAI, HolidayCalendar, library_covers
from tickets.routing import Route, add_working_days

ONE_DAY = Route(id="rubbish", name="垃圾清运", department="街道环卫所", working_days=1)
TODAY = date(2026, 12, 7)  # the repository's today: 2027 is 25 days away and not in any table


def at(year: int, month: int, day: int, hour: int = 10) -> datetime:
    return datetime(year, month, day, hour, tzinfo=SHANGHAI)


def end_of(year: int, month: int, day: int) -> datetime:
    return datetime(year, month, day, 17, 30, tzinfo=SHANGHAI)


def write(folder: Path, name: str, text: str) -> None:
    (folder / name).write_text(text, encoding="utf-8")


@pytest.fixture
def folder(tmp_path) -> Path:
    """A copy of the shipped tables that a test may add to."""
    for path in HOLIDAYS_DIR.glob("*.yml"):
        shutil.copy(path, tmp_path / path.name)
    return tmp_path


def test_the_shipped_tables_are_valid_and_agree_with_the_library_for_2026():
    calendar = HolidayCalendar.load()
    assert calendar.problems == [] and 2026 in calendar.years
    day = date(2026, 1, 1)
    while day.year == 2026:
        assert calendar.is_workday(day) == chinese_calendar.is_workday(day), day
        day += timedelta(days=1)


@pytest.mark.parametrize(
    "start, deadline",
    [
        (at(2026, 12, 4), end_of(2026, 12, 7)),  # Friday: the weekend does not count
        (at(2026, 9, 30), end_of(2026, 10, 8)),  # the National Day week off does not count
        (at(2026, 10, 9), end_of(2026, 10, 10)),  # Saturday 10 October is worked (调休)
        (at(2026, 2, 13), end_of(2026, 2, 14)),  # so is Saturday 14 February, before the Spring Festival
    ],
)
def test_deadlines_across_weekends_holidays_and_make_up_days(start, deadline):
    assert ONE_DAY.deadline_from(start) == deadline


def test_a_year_with_no_data_counts_monday_to_friday_and_says_so_once(caplog):
    assert not library_covers(2027) and 2027 not in HolidayCalendar.load().years
    calendar = HolidayCalendar.load()
    with caplog.at_level(logging.WARNING, logger="tickets.holidays"):
        assert calendar.is_workday(date(2027, 1, 1))  # New Year's Day, unknown: counted as a Friday
        assert not calendar.is_workday(date(2027, 1, 2))
        assert calendar.is_workday(date(2027, 1, 4))
    assert [record.getMessage() for record in caplog.records] == [
        "no holiday calendar for 2027; counting Monday to Friday only"
    ]
    assert add_working_days(at(2026, 12, 31), 2) == end_of(2027, 1, 4)


def test_the_table_comes_before_the_library(folder):
    write(
        folder,
        "2026.yml",
        (HOLIDAYS_DIR / "2026.yml").read_text(encoding="utf-8")
        + "  - name: 本地测试假日\n    from: 2026-12-08\n    to: 2026-12-08\n    workdays: [2026-12-12]\n",
    )
    calendar = HolidayCalendar.load(folder)
    assert chinese_calendar.is_workday(date(2026, 12, 8)) and not chinese_calendar.is_workday(date(2026, 12, 12))
    assert not calendar.is_workday(date(2026, 12, 8))
    assert calendar.is_workday(date(2026, 12, 12))


def test_a_year_added_by_the_staff_is_used_and_ends_the_warning(folder):
    """Test data for the mechanism, not the official 2027 schedule (unknown when this was written)."""
    before = HolidayCalendar.load(folder)
    warning = before.coverage_warning(TODAY)
    assert warning and "2027年" in warning and "tickets/holidays/2027.yml" in warning
    write(
        folder,
        "2027.yml",
        "year: 2027\nholidays:\n  - name: 测试\n    from: 2027-01-01\n    to: 2027-01-03\n    workdays: [2027-01-09]\n",
    )
    calendar = HolidayCalendar.load(folder)
    assert calendar.problems == [] and calendar.missing_years(TODAY) == []
    assert calendar.coverage_warning(TODAY) is None
    assert not calendar.is_workday(date(2027, 1, 1)) and calendar.is_workday(date(2027, 1, 9))


def test_no_warning_while_the_coming_weeks_are_covered():
    calendar = HolidayCalendar.load()
    assert calendar.coverage_warning(date(2026, 6, 1)) is None
    assert calendar.coverage_warning(date(2026, 11, 1)) is None  # 2027 is more than 60 days away
    assert calendar.missing_years(date(2026, 11, 2)) == [2027]


@pytest.mark.parametrize(
    "name, text, problem",
    [
        ("2027.yml", "year: 2028\nholidays:\n  - {name: 元旦, from: 2028-01-01, to: 2028-01-01}\n", "2028.yml"),
        ("2027.yml", "year: 2027\nholidays:\n  - {name: 元旦, from: 2027-01-03, to: 2027-01-01}\n", "before"),
        (
            "2027.yml",
            "year: 2027\nholidays:\n  - {name: 元旦, from: 2027-01-01, to: 2027-01-01, workdays: [2027-01-05]}\n",
            "weekday",
        ),
        ("2027.yml", "year: 2027\nholidays:\n  - {name: 国庆节, from: 2029-10-01, to: 2029-10-07}\n", "not in 2027"),
        ("2027.yml", "year: 2027\nholidays:\n  - {name: 春节, from: 2027-02-01, to: 2027-03-01}\n", "in a row"),
        ("2027.yml", "year: 2027\nholidays:\n  - {name: 元旦, start: 2027-01-01}\n", "from"),
        ("2027.yml", "- 2027-01-01\n", "2027.yml"),
    ],
)
def test_a_broken_table_is_left_out_and_named(folder, name, text, problem):
    write(folder, name, text)
    calendar = HolidayCalendar.load(folder)
    assert 2027 not in calendar.years
    [reported] = calendar.problems
    assert reported.startswith(name) and problem in reported
    assert "有错" in calendar.coverage_warning(TODAY)
