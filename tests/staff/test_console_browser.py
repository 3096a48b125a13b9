"""The staff console in a real headless Chromium (Debian's ``chromium``, driven by Playwright;
nothing downloads a browser) against the whole staff service, served by uvicorn in a thread on
the same SQLite file the tickets are filed in. Rasa is not running (its port is free), so every
message to a resident stays in the outbox as retrying, and the page has to say so."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Iterator
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, Page, expect

from bot.staff.app import create_app
from tests.browser import chromium, screenshot, served, watched_page
from tests.staff.conftest import ADMIN, staff_settings
from tickets.accounts import AccountService
from tickets.handling import StaffDesk
from tickets.models import PostKind, PostStatus, TicketKind, TicketStatus
from tickets.schemas import PostCreate, TicketCreate, TranscriptLine
from tickets.service import TicketService

RESOLUTION = "已联系电梯维保公司更换控制板，电梯已恢复运行。"
REPLY = "王阿姨您好，维保师傅下午两点到，请您放心。"


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as launched:
        yield launched


@pytest.fixture
def store(sqlite_url) -> TicketService:
    return TicketService(sqlite_url)


@pytest.fixture
def base_url(store, sqlite_url, tmp_path) -> Iterator[str]:
    """The whole staff service (its first admin from the settings)."""
    store.ensure_schema()  # migrated before the service and the test write side by side
    with served(create_app(staff_settings(sqlite_url, tmp_path))) as url:
        yield url


@pytest.fixture
def page(browser, base_url) -> Iterator[Page]:
    with watched_page(
        browser, base_url, viewport={"width": 1366, "height": 900}, timezone_id="Asia/Shanghai"
    ) as opened:
        yield opened


def file_ticket(store: TicketService, kind: TicketKind, title: str, **fields) -> str:
    values = dict(
        kind=kind,
        title=title,
        description=title,
        address="5栋1单元101",
        channel="rest",
        sender_id="web-resident09",
        contact_name="李建国",
        contact_phone="13900001111",
    )
    values.update(fields)
    return store.open_ticket(TicketCreate(**values)).number


def log_in(page: Page, base_url: str, path: str = "/") -> None:
    """Through the login page, as staff do: a page sends to the login and the login back."""
    page.goto(base_url + path)
    assert urlsplit(page.url).path == "/login"
    page.get_by_label("用户名").fill(ADMIN[0])
    page.get_by_label("密码").fill(ADMIN[1])
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(base_url + path)


def desk_view(store: TicketService, number: str):  # type: ignore[no-untyped-def]
    """The ticket as the store has it, seen by the admin (not written to the audit log)."""
    _, admin = AccountService(store.database_url, ensure_schema=store.ensure_schema).login(*ADMIN)
    return StaffDesk(store).detail(admin, number, audit=False)


def test_staff_log_in_reply_to_a_resident_and_resolve_a_complaint(page, base_url, store):
    number = file_ticket(
        store,
        TicketKind.complaint,
        "3栋电梯坏了",
        description="3栋2单元的电梯停在5楼不动，家里有老人下不了楼。",
        address="3栋2单元501",
        sender_id="web-resident01",
        contact_name="王秀英",
        contact_phone="13812345678",
        transcript=[
            TranscriptLine(role="resident", text="电梯坏了，停在5楼不动"),
            TranscriptLine(role="bot", text="已为您登记，工单号稍后发给您。"),
        ],
    )
    duplicate = file_ticket(store, TicketKind.complaint, "3栋电梯又不动了", address="3栋1单元302")
    emergency = file_ticket(store, TicketKind.emergency, "老人摔倒了", address="8栋3单元201")
    long_ago = TicketService(store.database_url, clock=lambda: datetime.now(timezone.utc) - timedelta(days=10))
    overdue = file_ticket(long_ago, TicketKind.complaint, "路灯不亮好多天了", address="小区东门")

    log_in(page, base_url)

    # The queue: emergencies first, then overdue, then by deadline; contact data masked.
    rows = page.locator("#queue tbody tr")
    expect(page.get_by_role("link", name=number)).to_be_visible()
    expect(rows).to_have_count(4)
    expect(rows.nth(0)).to_contain_text(emergency)
    expect(rows.nth(0)).to_contain_text("紧急")
    expect(rows.nth(0)).to_have_class("urgent")
    expect(rows.nth(1)).to_contain_text(overdue)
    expect(rows.nth(1)).to_contain_text("已超时")
    expect(rows.nth(1)).to_have_class("overdue")
    ours = rows.filter(has=page.get_by_role("link", name=number))
    expect(ours).to_contain_text("电梯故障")
    expect(ours).to_contain_text("剩余 23 小时")
    expect(ours).to_contain_text("王**")
    expect(ours).not_to_contain_text("王秀英")
    expect(page.locator("#count")).to_have_text("共 4 条工单，其中紧急 1 条、已超时 1 条。")

    # The search box narrows the queue, and the filter is kept in the address.
    page.get_by_label("搜索（工单号、标题、描述、地址）").fill("电梯")
    page.get_by_role("button", name="筛选").click()
    expect(rows).to_have_count(2)
    assert "q=" in urlsplit(page.url).query
    page.get_by_role("button", name="清空条件").click()
    expect(rows).to_have_count(4)

    # The ticket's page: the contact in full, the transcript, a likely duplicate.
    page.get_by_role("link", name=number).click()
    page.wait_for_url(f"{base_url}/tickets/{number}")
    expect(page.get_by_role("heading", level=1)).to_contain_text(f"工单 {number}：3栋电梯坏了")
    expect(page.locator("#contact")).to_contain_text("王秀英")
    expect(page.locator("#contact")).to_contain_text("13812345678")
    expect(page.locator("#description")).to_have_text("3栋2单元的电梯停在5楼不动，家里有老人下不了楼。")
    expect(page.locator("#transcript li.resident")).to_contain_text("电梯坏了，停在5楼不动")
    expect(page.locator("#duplicates")).to_contain_text(duplicate)
    expect(page.get_by_role("button", name=f"把本工单合并到 {duplicate}")).to_be_visible()
    expect(page.locator("#status-text")).to_have_text("新工单")

    # A refused action is explained in Chinese.
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_label("合并到工单号").fill(number)
    page.get_by_role("button", name="合并", exact=True).click()
    expect(page.get_by_role("alert")).to_have_text("不能把工单合并到它自己。")

    # The reply goes into the transcript; Rasa is down, so its delivery is retrying.
    page.get_by_label("回复内容").fill(REPLY)
    page.get_by_role("button", name="回复居民").click()
    expect(page.locator("#transcript li.staff").last).to_contain_text(REPLY)
    reply_row = page.locator("#deliveries tbody tr").filter(has_text="工作人员回复")
    expect(reply_row).to_contain_text("重试中")
    expect(page.get_by_role("status").first).to_contain_text("回复已发出")
    expect(page.get_by_label("回复内容")).to_have_value("")

    # Resolving needs the resolution note; with it the ticket is 已办结.
    page.get_by_label("改为").select_option("resolved")
    page.get_by_role("button", name="更改状态").click()
    expect(page.get_by_role("alert")).to_have_text("办结需要填写办结说明。")
    page.get_by_label("办结说明（必填，会发给居民）").fill(RESOLUTION)
    page.get_by_role("button", name="更改状态").click()
    expect(page.locator("#status-text")).to_have_text("已办结")
    expect(page.locator("#info")).to_contain_text(RESOLUTION)
    expect(page.locator("#deliveries tbody tr").filter(has_text="办结通知")).to_contain_text("重试中")
    expect(page.get_by_role("button", name="重新打开工单")).to_be_visible()
    expect(page.get_by_role("button", name="认领")).to_be_hidden()
    expect(page.locator("#events")).to_contain_text("已办结")

    screenshot(page, "console.png")

    # The store agrees.
    stored = desk_view(store, number)
    assert stored.status is TicketStatus.resolved
    assert stored.resolution == RESOLUTION
    assert stored.transcript[-1]["role"] == "staff" and stored.transcript[-1]["text"] == REPLY
    assert [event.type for event in stored.events if event.actor == "staff:admin"] == ["staff_reply", "status"]
    assert [event.data["purpose"] for event in stored.events if event.type == "delivery"] == [
        "reply",
        "rating_request",
    ]
    assert desk_view(store, duplicate).status is TicketStatus.new  # the refused merge changed nothing


def test_during_a_take_over_the_residents_messages_appear_without_a_reload(page, base_url, store):
    number = file_ticket(store, TicketKind.handoff, "我要找人工", sender_id="web-resident02")
    log_in(page, base_url, f"/tickets/{number}")

    expect(page.locator("#handoff-state")).to_contain_text("目前还是小助手在接待")
    page.get_by_role("button", name="接手对话").click()
    expect(page.locator("#handoff-state")).to_contain_text("工作人员已接手对话")
    expect(page.locator("#status-text")).to_have_text("处理中")
    expect(page.get_by_role("button", name="接手对话")).to_be_disabled()

    assert store.relay_to_staff(sender_id="web-resident02", text="我家水管爆了，能来人看看吗") == number
    expect(page.locator("#transcript li.resident").last).to_contain_text("我家水管爆了", timeout=15_000)

    page.get_by_role("button", name="交还小助手").click()
    expect(page.locator("#handoff-state")).to_contain_text("目前还是小助手在接待")
    stored = desk_view(store, number)
    assert [event.type for event in stored.events if event.actor == "staff:admin"] == [
        "claimed",
        "taken_over",
        "handed_back",
    ]


def test_posts_are_approved_or_rejected_with_a_reason_and_logging_out_ends_the_session(page, base_url, store):
    def post(content: str, sender: str) -> int:
        return store.post_help(
            PostCreate(kind=PostKind.need, content=content, contact_phone="13812345678", sender_id=sender)
        ).id

    approved = post("周六上午需要人帮忙把轮椅抬下楼", "web-resident03")
    rejected = post("低价出售保健品，包治百病", "web-resident04")
    log_in(page, base_url, "/posts")

    rows = page.locator("#posts tbody tr")
    expect(rows).to_have_count(2)
    expect(page.locator("#posts")).to_contain_text("138****5678")
    expect(page.locator("#posts")).not_to_contain_text("13812345678")

    page.locator("tr", has_text="轮椅").get_by_role("button", name="通过").click()
    expect(page.get_by_role("status")).to_contain_text(f"互助帖 #{approved} 已通过")
    expect(rows).to_have_count(1)

    page.get_by_role("button", name="拒绝").click()
    expect(page.get_by_role("alert")).to_have_text("拒绝互助帖需要写明原因。")
    page.get_by_label("拒绝原因").fill("涉及商业广告，不属于邻里互助")
    page.get_by_role("button", name="拒绝").click()
    expect(page.get_by_role("status")).to_contain_text(f"互助帖 #{rejected} 已拒绝")
    expect(page.locator("#count")).to_have_text("没有待审核的互助帖。")

    page.get_by_label("状态").select_option("rejected")
    page.get_by_role("button", name="查看").click()
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("原因：涉及商业广告，不属于邻里互助")
    assert {view.id: view.status for view in StaffDesk(store).posts(None)} == {
        approved: PostStatus.approved,
        rejected: PostStatus.rejected,
    }

    # Logging out ends the session: the console sends back to the login page.
    page.get_by_role("button", name="退出登录").click()
    page.wait_for_url(f"{base_url}/login")
    page.goto(f"{base_url}/posts")
    assert urlsplit(page.url).path == "/login"


def test_an_admin_exports_and_erases_a_residents_data_from_their_ticket(page, base_url, store):
    number = file_ticket(store, TicketKind.complaint, "5栋门口路灯不亮，我是李建国")
    log_in(page, base_url, f"/tickets/{number}")

    page.get_by_role("link", name="web-resident09").click()
    page.wait_for_url(f"{base_url}/residents?sender=web-resident09")
    expect(page.locator("#kept")).to_contain_text("139****1111")
    expect(page.locator("#kept")).not_to_contain_text("13900001111")

    with page.expect_download() as download:
        page.get_by_role("button", name="导出全部信息（JSON 文件）").click()
    assert "13900001111" in Path(download.value.path()).read_text(encoding="utf-8")
    expect(page.get_by_role("status")).to_contain_text("已导出")

    page.get_by_label("请再输入一遍居民编号确认").fill("web-resident09")
    page.get_by_role("button", name="删除个人信息").click()
    expect(page.get_by_role("status")).to_contain_text("已删除：工单 1 件")
    expect(page.get_by_role("status")).to_contain_text("聊天记录稍后自动清空")  # Rasa is not running here
    assert store.tickets_of("web-resident09") == []
    erased = desk_view(store, number)
    assert erased.contact_phone is None and "李建国" not in erased.description
