"""Every page residents and staff use passes axe-core's WCAG 2.1 A and AA rules in real Chromium.

The pages are checked as people meet them: the web chat after its first answer and in large-text
mode, the login page, and each console page with tickets and posts on it. Rasa is not running,
so the web chat shows the answer it gives when the assistant cannot be reached.
"""

from __future__ import annotations

from playwright.sync_api import expect

from tests.browser import axe_violations
from tests.staff.test_console_browser import base_url, browser, file_ticket, log_in, page, store  # noqa: F401
from tickets.models import PostKind, TicketKind
from tickets.schemas import PostCreate, TranscriptLine


def test_the_web_chat_passes_axe_also_in_large_text_mode(page, base_url):  # noqa: F811
    page.goto(f"{base_url}/chat")
    expect(page.locator("#log li").first).to_be_visible(timeout=30_000)
    assert axe_violations(page) == []

    page.get_by_role("button", name="大字模式").click()
    expect(page.get_by_role("button", name="大字模式")).to_have_attribute("aria-pressed", "true")
    assert axe_violations(page) == []


def test_the_login_page_passes_axe(page, base_url):  # noqa: F811
    page.goto(f"{base_url}/login")
    assert axe_violations(page) == []


def test_every_console_page_passes_axe(page, base_url, store):  # noqa: F811
    number = file_ticket(
        store,
        TicketKind.complaint,
        "3栋电梯坏了",
        transcript=[
            TranscriptLine(role="resident", text="电梯坏了，停在5楼不动"),
            TranscriptLine(role="bot", text="已为您登记。"),
        ],
    )
    file_ticket(store, TicketKind.emergency, "老人摔倒了", address="8栋3单元201")
    store.post_help(PostCreate(kind=PostKind.need, content="周六上午谁能帮忙接一下孩子", sender_id="web-a11y"))

    log_in(page, base_url)
    expect(page.get_by_role("link", name=number)).to_be_visible()
    assert axe_violations(page) == [], "queue"

    page.goto(f"{base_url}/tickets/{number}")
    expect(page.locator("#transcript li").first).to_be_visible()
    assert axe_violations(page) == [], "ticket"

    page.goto(f"{base_url}/posts")
    expect(page.get_by_text("周六上午谁能帮忙接一下孩子")).to_be_visible()
    assert axe_violations(page) == [], "posts"

    page.goto(f"{base_url}/stats")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    assert axe_violations(page) == [], "stats"

    page.goto(f"{base_url}/residents?sender=web-resident09")
    expect(page.locator("#kept dd").first).to_be_visible()
    assert axe_violations(page) == [], "residents"
