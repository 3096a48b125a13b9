"""The WeChat channel end to end: real XML (signed, and encrypted in safe mode, by wechatpy)
posted to a real Rasa server, answers read back passively or from a fake customer-service API.

Every test runs in plain and in safe mode (the ``wechat`` fixture's two parameters).
"""

from __future__ import annotations

import threading
import time
from typing import List

import httpx
import pytest
from sqlalchemy import select

from bot.delivery import outbox, pending_messages
from bot.delivery.tokens import cached_token
from tests.channels.conftest import APP_ID, WeChatStack
from tests.channels.wechat_fakes import message_xml
from tests.live import api_params
from tickets.db import session_scope
from tickets.models import Ticket
from tickets.service import TicketService

pytestmark = pytest.mark.e2e

WINDOW = 5.0  # WeChat's patience


def text_xml(openid: str, content: str, msg_id: int) -> str:
    return message_xml(openid, "text", {"Content": content}, msg_id=msg_id)


def event_xml(openid: str, event: str, key: str = "", created: int | None = None) -> str:
    fields = {"Event": event, "EventKey": key}
    return message_xml(openid, "event", fields, msg_id=None, created=created)


def say(wechat: WeChatStack, openid: str, content: str) -> dict | None:
    return wechat.platform.reply(wechat.platform.post(text_xml(openid, content, wechat.platform.new_msg_id())))


def settled_texts(wechat: WeChatStack, openid: str, quiet_seconds: float = 2.0) -> List[str]:
    """The texts sent to ``openid`` once no new one has come for ``quiet_seconds`` (at most 30 s)."""
    deadline = time.monotonic() + 30
    texts, quiet_since = wechat.api.texts_to(openid), time.monotonic()
    while time.monotonic() - quiet_since < quiet_seconds and time.monotonic() < deadline:
        time.sleep(0.1)
        if len(now := wechat.api.texts_to(openid)) != len(texts):
            texts, quiet_since = now, time.monotonic()
    return texts


def user_texts(wechat: WeChatStack, openid: str) -> List[str]:
    """What Rasa recorded the resident as saying (proves whether a message was processed)."""
    tracker = httpx.get(
        f"{wechat.settings.rasa_url}/conversations/{openid}/tracker", params=api_params(wechat.settings), timeout=30
    ).json()
    return [event.get("text") for event in tracker.get("events", []) if event["event"] == "user"]


def tickets_of(wechat: WeChatStack, openid: str):
    return TicketService(wechat.settings.database_url).tickets_of(openid, limit=10)


def wait_until(condition, timeout: float = 40) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.2)


# Protocol and safety


def test_url_verification_echoes_echostr_only_when_signed(wechat):
    assert wechat.platform.verify("echo-123").text == "echo-123"
    refused = wechat.platform.verify("echo-123", signature="0" * 40)
    assert refused.status_code == 403 and "echo-123" not in refused.text


def test_a_wrong_signature_is_refused_and_nothing_processed(wechat):
    openid = wechat.resident()
    response = wechat.platform.post(text_xml(openid, "你好", wechat.platform.new_msg_id()), tamper="signature")
    assert response.status_code == 403
    assert user_texts(wechat, openid) == []


def test_safe_mode_refuses_a_wrong_message_signature(wechat):
    if wechat.mode != "safe":
        pytest.skip("msg_signature exists only in safe mode")
    openid = wechat.resident()
    response = wechat.platform.post(text_xml(openid, "你好", wechat.platform.new_msg_id()), tamper="msg_signature")
    assert response.status_code == 403
    assert user_texts(wechat, openid) == []


def test_safe_mode_refuses_a_plain_message(wechat):
    if wechat.mode != "safe":
        pytest.skip("only safe mode insists on encryption")
    openid = wechat.resident()
    body = text_xml(openid, "你好", wechat.platform.new_msg_id()).encode()
    assert wechat.platform.post_raw(body, wechat.platform.signed_args()).status_code == 403
    assert user_texts(wechat, openid) == []


def test_a_replayed_timestamp_is_refused(wechat):
    openid = wechat.resident()
    stale = int(time.time()) - 600
    response = wechat.platform.post(text_xml(openid, "你好", wechat.platform.new_msg_id()), timestamp=stale)
    assert response.status_code == 403
    assert user_texts(wechat, openid) == []


ENTITY_EXPANSION = """<?xml version="1.0"?>
<!DOCTYPE xml [<!ENTITY a "哈哈哈哈哈哈哈哈哈哈"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">
<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;"><!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">]>
<xml><ToUserName>gh_shequtong</ToUserName><FromUserName>{openid}</FromUserName><CreateTime>{now}</CreateTime>
<MsgType>text</MsgType><Content>&d;</Content><MsgId>{msg_id}</MsgId></xml>"""
EXTERNAL_ENTITY = """<?xml version="1.0"?>
<!DOCTYPE xml [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<xml><ToUserName>gh_shequtong</ToUserName><FromUserName>{openid}</FromUserName><CreateTime>{now}</CreateTime>
<MsgType>text</MsgType><Content>&secret;</Content><MsgId>{msg_id}</MsgId></xml>"""


@pytest.mark.parametrize("template", [ENTITY_EXPANSION, EXTERNAL_ENTITY], ids=["expansion", "external"])
def test_hostile_xml_is_refused(wechat, template):
    openid = wechat.resident()
    xml = template.format(openid=openid, now=int(time.time()), msg_id=wechat.platform.new_msg_id())
    response = wechat.platform.post(xml)
    assert response.status_code == 400
    assert "root:" not in response.text
    assert user_texts(wechat, openid) == []


def test_an_oversize_body_is_refused(wechat):
    openid = wechat.resident()
    response = wechat.platform.post(text_xml(openid, "长" * 30_000, wechat.platform.new_msg_id()))
    assert response.status_code == 413
    assert user_texts(wechat, openid) == []


# Answers


def test_a_text_gets_a_passive_reply_in_time(wechat):
    openid = wechat.resident()
    started = time.monotonic()
    reply = say(wechat, openid, "你好")
    assert time.monotonic() - started < WINDOW
    assert reply["MsgType"] == "text" and reply["ToUserName"] == openid and reply["FromUserName"] == "gh_shequtong"
    assert "社区通" in reply["Content"] and "回复数字就可以选" in reply["Content"]


def test_a_number_picks_the_button_shown_last(wechat):
    openid = wechat.resident()
    say(wechat, openid, "你好")  # the menu: 2 = 投诉报修
    assert "问题" in say(wechat, openid, "２")["Content"]  # the complaint form's first question
    assert user_texts(wechat, openid)[-1] == "/file_complaint"


def test_a_retried_msg_id_is_answered_once_with_the_same_reply(wechat):
    openid = wechat.resident()
    xml = text_xml(openid, "你好", wechat.platform.new_msg_id())
    first = wechat.platform.reply(wechat.platform.post(xml))
    again = wechat.platform.reply(wechat.platform.post(xml))
    assert first["Content"] == again["Content"]
    assert user_texts(wechat, openid) == ["你好"]


def test_retries_during_a_slow_answer_make_one_ticket_and_one_answer(wechat):
    openid = wechat.resident()
    say(wechat, openid, "电梯又坏了，老人都下不了楼")
    assert "电话" in say(wechat, openid, "5号楼")["Content"]
    wechat.proxy.delay = 2.5  # every action call: the form's validation and the ticket write
    xml = text_xml(openid, "匿名", wechat.platform.new_msg_id())
    answers: List[httpx.Response] = []
    durations: List[float] = []

    def deliver() -> None:
        started = time.monotonic()
        answers.append(wechat.platform.post(xml))
        durations.append(time.monotonic() - started)

    threads = [threading.Thread(target=deliver) for _ in range(3)]
    for thread in threads:
        thread.start()
        time.sleep(0.5)
    for thread in threads:
        thread.join()
    deliver()  # and one more after WeChat's usual 5-second pause
    assert max(durations) < WINDOW
    assert all(answer.status_code == 200 and answer.text == "success" for answer in answers)
    texts = wechat.api.wait_for_texts(openid, 2)
    time.sleep(3)  # room for a duplicate to show up
    filed = [text for text in wechat.api.texts_to(openid) if "已经记下了" in text]
    [ticket] = tickets_of(wechat, openid)
    assert len(filed) == 1 and ticket.number in filed[0]
    assert user_texts(wechat, openid).count("匿名") == 1
    assert texts[:2] == wechat.api.texts_to(openid)[:2]


def test_a_slow_answer_goes_out_through_the_customer_service_api(wechat):
    openid = wechat.resident()
    wechat.proxy.delay = 5
    started = time.monotonic()
    response = wechat.platform.post(text_xml(openid, "查一下我的工单进度", wechat.platform.new_msg_id()))
    assert time.monotonic() - started < WINDOW
    assert response.text == "success"
    [answer] = wechat.api.wait_for_texts(openid, 1)
    assert "还没有提交过工单" in answer


def settled(wechat: WeChatStack, openid: str) -> List[outbox.OutboxItem]:
    """The resident's outbox once the turn has produced everything and nothing is mid-send."""
    url, seen = wechat.settings.database_url, None
    deadline = time.monotonic() + 40
    while time.monotonic() < deadline:
        items = outbox.messages_to(url, "wechat", openid)
        state = [(item.id, item.status) for item in items]
        if items and state == seen and all(item.status != outbox.SENDING for item in items):
            return items
        seen = state
        time.sleep(1)
    raise AssertionError(f"outbox of {openid} did not settle: {seen}")


def test_several_messages_go_out_through_the_customer_service_api_in_order(wechat):
    openid = wechat.resident()
    assert say(wechat, openid, "高龄津贴怎么申请") is None
    items = settled(wechat, openid)
    assert len(items) >= 3 and {item.status for item in items} == {outbox.SENT}
    texts = wechat.api.texts_to(openid)
    assert texts == [item.body["text"] for item in items]
    assert texts[0].startswith("【高龄津贴】") and any(text.startswith("需要带的材料") for text in texts)


def test_out_of_the_48_hour_window_messages_wait_for_the_resident(wechat):
    openid = wechat.resident()
    wechat.api.out_of_window.add(openid)
    say(wechat, openid, "高龄津贴怎么申请")
    items = settled(wechat, openid)
    assert len(items) >= 3 and {item.status for item in items} == {outbox.PENDING}
    url = wechat.settings.database_url
    assert [item.id for item in pending_messages(url) if item.recipient == openid] == [item.id for item in items]
    assert wechat.api.texts_to(openid) == []
    wechat.api.out_of_window.discard(openid)  # the resident writes again: the window reopens
    assert "社区通" in say(wechat, openid, "你好")["Content"]
    kept = [item.body["text"] for item in items]
    assert wechat.api.wait_for_texts(openid, len(kept)) == kept
    wait_until(lambda: not any(item.recipient == openid for item in pending_messages(url)))


def test_failed_sends_are_retried_until_delivered(wechat):
    openid = wechat.resident()
    wechat.api.failing.add(openid)
    say(wechat, openid, "高龄津贴怎么申请")
    url = wechat.settings.database_url
    wait_until(lambda: any(item.status == outbox.RETRYING for item in outbox.messages_to(url, "wechat", openid)))
    wechat.api.failing.discard(openid)
    wait_until(lambda: {item.status for item in outbox.messages_to(url, "wechat", openid)} == {outbox.SENT}, 90)
    items = outbox.messages_to(url, "wechat", openid)
    assert len(items) >= 3 and wechat.api.texts_to(openid) == [item.body["text"] for item in items]
    assert any(item.attempts > 1 for item in items)


def test_an_expired_access_token_is_refreshed_and_shared(wechat):
    openid = wechat.resident()
    say(wechat, openid, "高龄津贴怎么申请")
    wechat.api.wait_for_texts(openid, 3)
    answered = len(settled_texts(wechat, openid))  # the whole answer, however many messages it has
    calls = wechat.api.token_calls
    wechat.api.expire_token()
    say(wechat, openid, "高龄津贴怎么申请")
    wechat.api.wait_for_texts(openid, answered + 1)  # sent after the expiry: only with a fresh token
    assert wechat.api.token_calls == calls + 1
    assert cached_token(wechat.settings.database_url, APP_ID) == wechat.api.current_token


def test_rasa_can_send_proactively_through_the_wechat_output_channel(wechat):
    openid = wechat.resident()
    response = httpx.post(
        f"{wechat.settings.rasa_url}/conversations/{openid}/trigger_intent",
        params={"output_channel": "wechat", **api_params(wechat.settings)},
        json={"name": "greet"},
        timeout=30,
    )
    assert response.status_code == 200
    [greeting] = wechat.api.wait_for_texts(openid, 1)
    assert "社区通" in greeting
    assert "问题" in say(wechat, openid, "2")["Content"]  # its buttons became numbers
    assert user_texts(wechat, openid)[-1] == "/file_complaint"


# Message types and events


def test_voice_with_recognition_is_understood_as_text(wechat):
    openid = wechat.resident()
    xml = message_xml(
        openid, "voice", {"MediaId": "m1", "Format": "amr", "Recognition": "你好"}, msg_id=wechat.platform.new_msg_id()
    )
    assert "社区通" in wechat.platform.reply(wechat.platform.post(xml))["Content"]
    assert user_texts(wechat, openid) == ["你好"]


def test_voice_without_recognition_asks_for_text(wechat):
    openid = wechat.resident()
    xml = message_xml(openid, "voice", {"MediaId": "m1", "Format": "amr"}, msg_id=wechat.platform.new_msg_id())
    assert "打字" in wechat.platform.reply(wechat.platform.post(xml))["Content"]
    assert user_texts(wechat, openid) == []


def image_xml(wechat: WeChatStack, openid: str, url: str = "http://mmbiz.qpic.cn/x.jpg") -> str:
    return message_xml(openid, "image", {"PicUrl": url, "MediaId": "m2"}, msg_id=wechat.platform.new_msg_id())


def test_an_image_without_an_open_complaint_gets_a_short_explanation(wechat):
    openid = wechat.resident()
    reply = wechat.platform.reply(wechat.platform.post(image_xml(wechat, openid)))["Content"]
    assert "没有正在办理的投诉" in reply and "用文字" in reply


def location_xml(wechat: WeChatStack, openid: str, label: str) -> str:
    fields = {"Location_X": "32.0415", "Location_Y": "118.7781", "Scale": "15", "Label": label}
    return message_xml(openid, "location", fields, msg_id=wechat.platform.new_msg_id())


def test_a_location_outside_a_form_without_a_complaint_is_explained(wechat):
    openid = wechat.resident()
    reply = wechat.platform.reply(wechat.platform.post(location_xml(wechat, openid, "幸福小区5号楼")))
    assert "没有正在办理的投诉" in reply["Content"]


def test_photos_and_locations_after_a_complaint_are_attached_to_it(wechat):
    openid = wechat.resident()
    say(wechat, openid, "电梯又坏了，老人都下不了楼")
    wechat.platform.reply(wechat.platform.post(location_xml(wechat, openid, "幸福小区5号楼")))
    say(wechat, openid, "1")  # no phone (anonymous): filed, the answer comes in several messages
    [number] = [ticket.number for ticket in tickets_of(wechat, openid)]
    assert any(number in text for text in wechat.api.wait_for_texts(openid, 1))

    photo = wechat.platform.reply(wechat.platform.post(image_xml(wechat, openid, "http://mmbiz.qpic.cn/lift.jpg")))
    assert photo["Content"] == f"收到照片！已经加到您的工单 {number} 里，工作人员处理时能看到。"
    place = wechat.platform.reply(wechat.platform.post(location_xml(wechat, openid, "5号楼东单元门口")))
    assert number in place["Content"] and "位置" in place["Content"]

    with session_scope(wechat.settings.database_url) as session:
        ticket = session.execute(select(Ticket).where(Ticket.number == number)).scalar_one()
        attached = [(item.kind, item.url, item.label) for item in ticket.attachments]
        coordinates = (ticket.latitude, ticket.longitude)
    assert attached == [
        ("image", "http://mmbiz.qpic.cn/lift.jpg", None),
        ("location", None, "5号楼东单元门口"),
    ]
    assert coordinates == (32.0415, 118.7781)


def test_a_location_answers_the_complaint_forms_where(wechat):
    openid = wechat.resident()
    assert "哪里" in say(wechat, openid, "电梯又坏了，老人都下不了楼")["Content"]
    reply = wechat.platform.reply(wechat.platform.post(location_xml(wechat, openid, "幸福小区5号楼")))
    assert "电话" in reply["Content"] and "回复 1 不留电话（匿名）" in reply["Content"]


def test_subscribing_gets_a_welcome_menu_that_numbers_answer(wechat):
    openid = wechat.resident()
    welcome = wechat.platform.reply(wechat.platform.post(event_xml(openid, "subscribe")))
    assert "欢迎关注" in welcome["Content"] and "回复 1 预约服务" in welcome["Content"]
    assert "预约哪项服务" in say(wechat, openid, "1")["Content"]


def test_a_retried_event_is_handled_once(wechat):
    openid = wechat.resident()
    xml = event_xml(openid, "CLICK", "BOOK", created=int(time.time()))
    first = wechat.platform.reply(wechat.platform.post(xml))
    second = wechat.platform.reply(wechat.platform.post(xml))
    assert "预约哪项服务" in first["Content"] and second["Content"] == first["Content"]
    assert user_texts(wechat, openid) == ["/book_service"]


def test_scanning_gets_the_welcome(wechat):
    openid = wechat.resident()
    xml = message_xml(openid, "event", {"Event": "SCAN", "EventKey": "123", "Ticket": "t"}, msg_id=None)
    assert "欢迎关注" in wechat.platform.reply(wechat.platform.post(xml))["Content"]


def test_unsubscribing_sends_nothing(wechat):
    openid = wechat.resident()
    response = wechat.platform.post(event_xml(openid, "unsubscribe"))
    assert wechat.platform.reply(response) is None
    time.sleep(1)
    assert wechat.api.texts_to(openid) == [] and user_texts(wechat, openid) == []
