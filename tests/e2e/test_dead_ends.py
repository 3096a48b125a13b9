"""No dead ends in any form, on every channel (issue 20), on one real stack: action server,
Rasa server with the trained model and the WeChat channel on, staff service with the web chat.

Each dead end of the issue is driven over Rasa's REST channel; the numbered pick and the
offer of open times also over the web chat (the staff service's /chat relay) and over WeChat
(wechatpy-signed messages, answers passive or through a fake customer-service API).
"""

from __future__ import annotations

import re
import uuid
from datetime import datetime, timedelta
from typing import Iterator, List

import httpx
import pytest

from policy_kb.booking_rules import is_open_at
from policy_kb.catalogue import load_catalogue
from tests.channels.wechat_fakes import FakeWeChatApi, WeChatPlatform, message_xml
from tests.live import running_assistant, settings_for
from text.timeparse import SHANGHAI

pytestmark = pytest.mark.e2e

TOKEN = "dead-ends-token"
APP_ID = "wx0123456789abcdef"
APP_SECRET = "dead-ends-secret"


class Stack:
    def __init__(self, settings, api: FakeWeChatApi) -> None:
        self.settings = settings
        self.api = api
        self.platform = WeChatPlatform(f"{settings.rasa_url}/webhooks/wechat/webhook", TOKEN, None)


@pytest.fixture(scope="module")
def stack(tmp_path_factory) -> Iterator[Stack]:
    workdir = tmp_path_factory.mktemp("dead-ends")
    api = FakeWeChatApi(APP_ID, APP_SECRET)
    settings = settings_for(
        workdir, wechat_token=TOKEN, wechat_app_id=APP_ID, wechat_app_secret=APP_SECRET, wechat_api_base=api.base
    )
    try:
        with running_assistant(settings, workdir) as running:
            yield Stack(running, api)
    finally:
        api.close()


class Rest:
    """A resident on Rasa's REST channel."""

    def __init__(self, stack: Stack) -> None:
        self.url = f"{stack.settings.rasa_url}/webhooks/rest/webhook"
        self.sender = f"dead-ends-{uuid.uuid4().hex[:10]}"

    def says(self, message: str) -> str:
        answer = httpx.post(self.url, json={"sender": self.sender, "message": message}, timeout=60)
        answer.raise_for_status()
        return "\n".join(item.get("text", "") for item in answer.json())


class WebChat:
    """A resident on the web chat, through the staff service's relay."""

    def __init__(self, stack: Stack) -> None:
        self.url = f"{stack.settings.staff_url}/chat/send"
        self.sender = uuid.uuid4().hex[:16]

    def says(self, message: str) -> str:
        answer = httpx.post(self.url, json={"sender": self.sender, "message": message}, timeout=60)
        answer.raise_for_status()
        return "\n".join(item.get("text", "") for item in answer.json())


class WeChat:
    """A resident of the official account: signed XML in, a passive reply or customer-service messages out."""

    def __init__(self, stack: Stack) -> None:
        self.stack = stack
        self.openid = f"o{uuid.uuid4().hex[:27]}"

    def says(self, message: str, *, messages: int = 1) -> str:
        """The answer; one of several ``messages`` goes out through the customer-service API."""
        platform = self.stack.platform
        sent_before = len(self.stack.api.texts_to(self.openid))
        xml = message_xml(self.openid, "text", {"Content": message}, msg_id=platform.new_msg_id())
        reply = platform.reply(platform.post(xml))
        if reply is not None:
            return reply["Content"]
        return "\n".join(self.stack.api.wait_for_texts(self.openid, sent_before + messages)[sent_before:])


def open_days(service: str, hour: int, count: int = 2) -> List[datetime]:
    """Days from tomorrow on when ``service`` is open at ``hour``, so the tests run any day."""
    entry = load_catalogue().resolve(service)
    day = datetime.now(SHANGHAI).replace(hour=hour, minute=0, second=0, microsecond=0) + timedelta(days=1)
    days: List[datetime] = []
    while len(days) < count:
        if is_open_at(entry, day):
            days.append(day)
        day += timedelta(days=1)
    return days


def tomorrow_late() -> str:
    """A time the elderly meal point (助餐, 11:00-12:30 and 17:00-18:00) is closed."""
    day = datetime.now(SHANGHAI) + timedelta(days=1)
    return f"{day.month}月{day.day}号晚上十点"


def option(answer: str, title: str) -> str:
    """The number in front of ``title`` in a numbered list."""
    match = re.search(rf"(\d+)\. {re.escape(title)}", answer)
    assert match, f"no option {title!r} in {answer!r}"
    return match.group(1)


def first_offered_time(answer: str) -> str:
    match = re.search(r"1\. (\d+月\d+日（周.）\d\d:\d\d)", answer)
    assert match, answer
    return match.group(1)


# Typed numbers pick options everywhere


@pytest.mark.parametrize("channel", [Rest, WebChat, WeChat])
def test_a_typed_number_picks_the_option_offered_last(stack, channel):
    resident = channel(stack)
    assert "投诉报修" in resident.says("你好")  # the menu: 2 = 投诉报修
    assert "遇到了什么问题" in resident.says("2")


def test_a_typed_number_picks_a_service_inside_the_booking_form(stack):
    resident = Rest(stack)
    assert "哪项服务" in resident.says("我想预约")
    assert "什么时候" in resident.says("3")  # 3. 家政服务


# An unavailable time offers the next open times as numbered options


@pytest.mark.parametrize("channel", [Rest, WebChat])
def test_an_unavailable_time_offers_open_times_to_pick_by_number(stack, channel):
    resident = channel(stack)
    assert "什么时候" in resident.says("我想预约老年助餐")
    offered = resident.says(tomorrow_late())
    assert "不开放" in offered and "最近能约的时间" in offered and "回复数字" in offered
    first = first_offered_time(offered)
    assert "电话" in resident.says("1")  # the meal point is not at home: no address asked
    readback = resident.says("13812345678")
    assert first in readback and "老年助餐" in readback


def test_an_unavailable_time_offers_open_times_on_wechat(stack):
    resident = WeChat(stack)
    assert "什么时候" in resident.says("我想预约老年助餐")
    offered = resident.says(tomorrow_late(), messages=3)
    assert "不开放" in offered and "最近能约的时间" in offered
    first = first_offered_time(offered)
    assert "电话" in resident.says("1")
    assert first in resident.says("13812345678")


@pytest.mark.parametrize("words", ["越早越好", "最近的", "都行"])
def test_the_sooner_the_better_books_the_first_open_time(stack, words):
    resident = Rest(stack)
    resident.says("我想预约老年助餐")
    assert "电话" in resident.says(words)


# A correction of an earlier answer is applied


def test_a_corrected_time_is_applied_while_the_address_is_pending(stack):
    first, second = open_days("助老理发", 10)
    resident = Rest(stack)
    assert "住址" in resident.says(f"我想预约{first.month}月{first.day}号上午十点上门理发")
    corrected = resident.says(f"不对，改成{second.month}月{second.day}号上午十点")
    assert "改成" in corrected and "住址" in corrected
    assert "电话" in resident.says("3栋2单元501")
    readback = resident.says("13812345678")
    assert f"{second.month}月{second.day}日" in readback and "3栋2单元501" in readback


def test_a_corrected_address_is_applied_while_the_phone_is_pending(stack):
    (day,) = open_days("助老理发", 10, count=1)
    resident = Rest(stack)
    resident.says(f"我想预约{day.month}月{day.day}号上午十点上门理发")
    assert "电话" in resident.says("3栋2单元501")
    corrected = resident.says("地址写错了 是5栋2单元301")
    assert "改成" in corrected and "电话" in corrected and "号码好像不对" not in corrected
    readback = resident.says("13812345678")
    assert "5栋2单元301" in readback and "3栋2单元501" not in readback


# A description of the service picks it from the catalogue


def test_a_described_service_is_picked_from_the_catalogue(stack):
    resident = Rest(stack)
    assert "哪项服务" in resident.says("我想预约")
    assert "什么时候" in resident.says("想找人来家里帮忙打扫打扫卫生")


def test_an_unsure_description_gets_numbered_choices(stack):
    resident = Rest(stack)
    resident.says("我想预约")
    choices = resident.says("来家里帮忙")
    assert "可能是" in choices
    assert "什么时候" in resident.says(option(choices, "家政服务"))


# After two answers that fill nothing: choices, a person, or leaving


def test_two_answers_that_fill_nothing_offer_a_person_or_leaving(stack):
    resident = Rest(stack)
    resident.says("我想预约老年助餐")
    resident.says("越早越好")
    assert "号码好像不对" in resident.says("12345")
    way_out = resident.says("54321")
    assert "找工作人员" in way_out and "退出" in way_out
    assert "不办了" in resident.says(option(way_out, "不办了，退出"))


def test_the_way_out_reaches_a_person(stack):
    resident = Rest(stack)
    resident.says("我想预约老年助餐")
    resident.says("越早越好")
    resident.says("12345")
    way_out = resident.says("54321")
    assert "工单号" in resident.says(option(way_out, "找工作人员"))


def test_asking_for_a_person_leaves_the_form(stack):
    resident = Rest(stack)
    assert "遇到了什么问题" in resident.says("我要投诉")
    handoff = resident.says("转人工")
    assert "工单号" in handoff and "遇到了什么问题" not in handoff


def test_leaving_any_form_by_saying_so(stack):
    resident = Rest(stack)
    assert "遇到了什么问题" in resident.says("我要投诉")
    assert "不办了" in resident.says("退出")
