"""Staff are told, on /healthz and in the console, while the coming weeks fall in a year whose
holidays nobody has entered (deadlines then count Monday to Friday)."""

from __future__ import annotations

from datetime import date

import pytest

import tickets.holidays
from tests.staff.test_console_pages import log_in

MISSING_2027 = "2027年的节假日安排还没有录入"


@pytest.fixture
def today(monkeypatch):
    def set_today(day: date) -> None:
        monkeypatch.setattr(tickets.holidays, "today_in_china", lambda: day)

    return set_today


def test_health_warns_while_the_coming_year_is_missing(staff_client, today):
    today(date(2026, 12, 7))
    answer = staff_client.get("/healthz")
    assert answer.json()["database"] == "up"  # a warning, not a failure (Rasa is down in this test: 503)
    warning = answer.json()["holiday_warning"]
    assert MISSING_2027 in warning and "tickets/holidays/2027.yml" in warning
    today(date(2026, 6, 1))
    assert staff_client.get("/healthz").json()["holiday_warning"] is None


def test_the_console_shows_the_warning_to_staff(staff_client, today):
    today(date(2026, 12, 7))
    assert MISSING_2027 not in staff_client.get("/login").text  # not to whoever is not logged in
    log_in(staff_client)
    for page in ("/", "/posts"):
        assert MISSING_2027 in staff_client.get(page).text
    today(date(2026, 6, 1))
    assert MISSING_2027 not in staff_client.get("/").text
