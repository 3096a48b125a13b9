"""The web chat in a real headless Chromium (Debian's ``chromium``, driven by Playwright; nothing
downloads a browser) against the running staff service and Rasa server."""

from __future__ import annotations

from typing import Iterator, List

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from bot.settings import Settings
from tests.browser import axe_violations, chromium, screenshot, watched_page
from tests.live import api_params, rest_answers, running_assistant, settings_for

pytestmark = pytest.mark.e2e

ANSWER_TIMEOUT_MS = 60_000


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as launched:
        yield launched


@pytest.fixture(scope="module")
def assistant(tmp_path_factory) -> Iterator[Settings]:
    workdir = tmp_path_factory.mktemp("webchat")
    with running_assistant(settings_for(workdir), workdir) as running:
        yield running


@pytest.fixture
def page(browser, assistant) -> Iterator[Page]:
    """A phone-sized page."""
    with watched_page(
        browser, assistant.staff_url, viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True
    ) as opened:
        yield opened


def bot_said(page: Page, texts: List[str]) -> None:
    """Waits until the bot's latest messages read ``texts`` (button titles are not part of a text)."""
    said = page.locator("#log li.bot .text")
    expect(said.last).to_have_text(texts[-1], timeout=ANSWER_TIMEOUT_MS)
    assert said.all_text_contents()[-len(texts) :] == texts


def test_a_resident_chats_taps_an_option_enlarges_the_text_and_keeps_the_conversation(assistant, page):
    page.goto(f"{assistant.staff_url}/chat")

    # The page greets with the menu as big tappable options.
    bot_said(page, rest_answers(assistant, "/greet"))
    book = page.get_by_role("button", name="1. 预约服务")
    expect(book).to_be_visible()

    # Typing: Enter while the Chinese IME is composing only confirms the candidate.
    message = page.get_by_label("请输入您要办的事")
    message.fill("你是机器人吗")
    message.dispatch_event("compositionstart")
    message.dispatch_event("keydown", {"key": "Enter", "isComposing": True})
    expect(page.locator("#log li.resident")).to_have_count(1)  # just the opening “你好”
    expect(message).to_have_value("你是机器人吗")
    message.dispatch_event("compositionend")
    message.press("Enter")
    expect(page.locator("#log li.resident .text").last).to_have_text("你是机器人吗")
    bot_said(page, rest_answers(assistant, "/greet", "你是机器人吗"))
    expect(message).to_have_value("")

    # Tapping an option sends its payload and shows its title.
    book.tap()
    expect(page.locator("#log li.resident .text").last).to_have_text("1. 预约服务")
    bot_said(page, rest_answers(assistant, "/greet", "你是机器人吗", "/book_service"))
    expect(book).to_be_disabled()  # a second tap cannot book twice

    # The large-text switch, for older eyes.
    normal = page.evaluate("parseFloat(getComputedStyle(document.documentElement).fontSize)")
    page.get_by_role("button", name="大字模式").click()
    expect(page.get_by_role("button", name="大字模式")).to_have_attribute("aria-pressed", "true")
    larger = page.evaluate("parseFloat(getComputedStyle(document.documentElement).fontSize)")
    assert larger >= normal * 1.3

    # A reload keeps the conversation and the large text.
    shown = page.locator("#log li").all_inner_texts()
    page.reload()
    expect(page.locator("#log li")).to_have_count(len(shown))
    assert page.locator("#log li").all_inner_texts() == shown
    expect(page.get_by_role("button", name="大字模式")).to_have_attribute("aria-pressed", "true")
    expect(book).to_be_disabled()

    # Staff take over and reply: the page shows both without a reload.
    sender = page.evaluate("localStorage.getItem('stt-sender')")
    reply = "您好，我是网格员小李，您的事我来跟进。"
    staff_events = [
        {"event": "slot", "name": "handoff_active", "value": True},
        {"event": "bot", "text": reply, "metadata": {"staff": "小李"}},
    ]
    appended = httpx.post(
        f"{assistant.rasa_url}/conversations/web-{sender}/tracker/events",
        params=api_params(assistant),
        json=staff_events,
        timeout=60,
    )
    appended.raise_for_status()
    expect(page.locator("#log li.staff")).to_have_text(f"工作人员：{reply}", timeout=20_000)
    expect(page.locator("#handoff")).to_be_visible()
    expect(page.get_by_role("log", name="对话记录")).to_have_attribute("aria-live", "polite")
    assert axe_violations(page) == []  # with options, staff replies and large text on the page

    screenshot(page, "webchat.png", full_page=False)  # what the resident sees: the newest messages
