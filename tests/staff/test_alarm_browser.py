"""The duty alarm on console pages in a real headless Chromium: every open page shows a new
emergency with a browser notification, one page's 确认收到 clears it on all of them."""

from __future__ import annotations

from typing import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

from bot.staff.app import create_app
from tests.browser import chromium, screenshot, served, watched_page
from tests.staff.conftest import staff_settings
from tests.staff.test_console_browser import log_in
from tickets.alert_models import AlertState
from tickets.alerts import DutyAlerts
from tickets.models import TicketKind
from tickets.schemas import TicketCreate
from tickets.service import TicketService

# Records the notifications the page raises (Chromium shows none when headless).
RECORD_NOTIFICATIONS = """
window.raisedNotifications = [];
const Real = window.Notification;
window.Notification = class extends Real {
  constructor(title, options) { super(title, options); window.raisedNotifications.push(title); }
};
"""


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as launched:
        yield launched


@pytest.fixture
def store(sqlite_url) -> TicketService:
    return TicketService(sqlite_url)


@pytest.fixture
def base_url(store, sqlite_url, tmp_path) -> Iterator[str]:
    store.ensure_schema()
    with served(create_app(staff_settings(sqlite_url, tmp_path))) as url:
        yield url


def console_page(browser: Browser, base_url: str) -> Iterator[Page]:
    with watched_page(
        browser, base_url, viewport={"width": 1366, "height": 900}, permissions=["notifications"]
    ) as page:
        page.add_init_script(RECORD_NOTIFICATIONS)
        yield page


@pytest.fixture
def first(browser, base_url) -> Iterator[Page]:
    yield from console_page(browser, base_url)


@pytest.fixture
def second(browser, base_url) -> Iterator[Page]:
    yield from console_page(browser, base_url)


def test_every_open_console_page_raises_the_alarm_and_one_acknowledgement_clears_it(first, second, base_url, store):
    log_in(first, base_url, "/")
    log_in(second, base_url, "/posts")
    for page in (first, second):
        expect(page.locator("#alarm")).to_be_hidden()
    alerts = DutyAlerts(store)
    number = alerts.open_emergency(
        TicketCreate(kind=TicketKind.emergency, title="紧急求助：厨房着火了", sender_id="r1", address="3栋2单元501")
    ).ticket.number
    for page in (first, second):
        banner = page.locator("#alarm")
        expect(banner).to_be_visible()
        expect(banner).to_contain_text(number)
        expect(banner).to_contain_text("厨房着火了（3栋2单元501）")
        page.wait_for_function("window.raisedNotifications.length === 1")
        assert page.evaluate("window.raisedNotifications") == [f"紧急求助 {number}"]
    screenshot(first, "console-alarm.png", full_page=False)
    first.get_by_role("button", name="确认收到，我来处理").click()
    expect(first.locator("#alarm")).to_be_hidden()
    expect(second.locator("#alarm")).to_be_hidden()  # cleared by the long poll, not by a reload
    [console] = alerts.alerts_of(number)
    assert (console.state, console.acknowledged_by) == (AlertState.acknowledged, "admin")
    # The emergency's page tells where its alarm went and who answered.
    first.goto(f"{base_url}/tickets/{number}")
    expect(first.locator("#ticket-alerts")).to_be_visible()
    expect(first.locator("#ticket-alerts tbody td")).to_have_text(["工作台", "1", "已确认", "admin", "—"])
