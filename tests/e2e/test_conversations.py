"""Whole conversations over Rasa's REST channel, checked in the database.

Real action server, real Rasa server with the trained model, real SQLite.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import httpx
import pytest
from sqlalchemy import select

from policy_kb.booking_rules import is_open_at
from policy_kb.catalogue import load_catalogue
from tests.live import api_params
from text.timeparse import SHANGHAI
from tickets.db import session_scope
from tickets.models import Booking, MutualHelpPost, Ticket, TicketKind, TicketStatus

pytestmark = pytest.mark.e2e


def next_open_day(service_name: str, hour: int) -> datetime:
    """A day from tomorrow on when the service is open at ``hour``, so the test runs any day."""
    entry = load_catalogue().resolve(service_name)
    day = datetime.now(SHANGHAI).replace(hour=hour, minute=0, second=0, microsecond=0) + timedelta(days=1)
    while not is_open_at(entry, day):
        day += timedelta(days=1)
    return day


def tickets_of(database_url: str, sender: str):
    with session_scope(database_url) as session:
        return list(session.execute(select(Ticket).where(Ticket.sender_id == sender).order_by(Ticket.id)).scalars())


def test_parse_understands_chinese(assistant):
    response = httpx.post(
        f"{assistant.rasa_url}/model/parse",
        params=api_params(assistant),
        json={"text": "我想预约明天上午的上门理发"},
        timeout=30,
    )
    parsed = response.json()
    assert parsed["intent"]["name"] == "book_service"
    assert {"entity": "service", "value": "助老理发"}.items() <= next(
        e for e in parsed["entities"] if e["entity"] == "service"
    ).items()


def test_booking_a_haircut_at_home_end_to_end(assistant, resident):
    when = next_open_day("助老理发", 10)
    someone = resident()
    first = someone.says(f"我想预约{when.month}月{when.day}号上午十点上门理发")
    assert "住址" in first
    assert "电话" in someone.says("3栋2单元501")
    readback = someone.says("13812345678")
    assert "助老理发" in readback and "3栋2单元501" in readback and "13812345678" in readback
    done = someone.says("确认")
    assert "预约好了" in done
    [ticket] = tickets_of(assistant.database_url, someone.sender)
    assert ticket.number in done
    assert ticket.kind is TicketKind.booking
    assert ticket.contact_phone == "13812345678"
    with session_scope(assistant.database_url) as session:
        booking = session.execute(select(Booking).where(Booking.ticket_id == ticket.id)).scalar_one()
        assert booking.scheduled_at == when
        assert booking.service_name == "助老理发"


def test_cancelling_a_booking_after_confirmation(assistant, resident):
    when = next_open_day("老年助餐", 12)
    someone = resident()
    someone.say(f"帮我订{when.month}月{when.day}号中午12点的老年助餐")
    someone.say("13912345678")
    assert "预约好了" in someone.says("对的")
    assert "要取消这个预约吗" in someone.says("取消我的预约")
    assert "已经取消" in someone.says("是的")
    [ticket] = tickets_of(assistant.database_url, someone.sender)
    assert ticket.status is TicketStatus.cancelled


def test_a_complaint_gets_number_department_and_deadline(assistant, resident):
    someone = resident()
    assert "哪里" in someone.says("电梯又坏了，老人都下不了楼")
    assert "电话" in someone.says("5号楼")
    answer = someone.says("匿名")
    [ticket] = tickets_of(assistant.database_url, someone.sender)
    assert ticket.kind is TicketKind.complaint
    assert ticket.category == "lift"
    assert ticket.number in answer and ticket.department in answer
    assert ticket.contact_phone is None
    assert ticket.transcript and ticket.transcript[0]["text"].startswith("电梯又坏了")


def test_status_by_number_only_for_the_owner(assistant, resident):
    owner = resident()
    owner.say("小区北门的路灯一直不亮，晚上太黑了")
    owner.say("北门")
    owner.say("13712345678")
    [ticket] = tickets_of(assistant.database_url, owner.sender)
    assert "正在处理" in owner.says(f"查一下{ticket.number}") or ticket.number in owner.says(f"查一下{ticket.number}")
    stranger = resident()
    reply = stranger.says(f"查一下{ticket.number}")
    assert "没有查到" in reply
    assert ticket.department not in reply


def test_an_emergency_interrupts_a_form_and_gives_the_hotline_first(assistant, resident):
    someone = resident()
    assert "什么时候" in someone.says("我想预约上门理发")
    answers = someone.say("着火了 救命")
    assert "119" in answers[0]["text"]
    [ticket] = tickets_of(assistant.database_url, someone.sender)
    assert ticket.kind is TicketKind.emergency
    assert ticket.priority == 0
    # The booking form is over: the next message is handled afresh.
    assert "119" not in someone.says("谢谢")


def test_a_gas_leak_gets_gas_advice(assistant, resident):
    answers = resident().say("家里煤气味好大")
    assert "燃气" in answers[0]["text"] and "不要" in answers[0]["text"]


def test_handoff_keeps_the_bot_quiet_and_records_what_the_resident_says(assistant, resident):
    someone = resident()
    opened = someone.says("转人工")
    [ticket] = tickets_of(assistant.database_url, someone.sender)
    assert ticket.kind is TicketKind.handoff and ticket.number in opened
    assert someone.say("我家楼上一直漏水到我家") == []
    [ticket] = tickets_of(assistant.database_url, someone.sender)
    assert ticket.transcript[-1]["text"] == "我家楼上一直漏水到我家"
    # An emergency is still answered during a handoff.
    assert "120" in someone.says("我爸摔倒了起不来")


def test_consultation_answers_with_the_complete_materials_list(assistant, resident):
    answer = resident().says("高龄津贴怎么申请")
    entry = load_catalogue().resolve("高龄津贴")
    assert "高龄津贴" in answer
    for material in entry.materials:
        assert material in answer


def test_legal_question_points_to_legal_aid_and_offers_a_consultation(assistant, resident):
    someone = resident()
    answers = someone.say("老板拖欠工资三个月了怎么办")
    text = "\n".join(a.get("text", "") for a in answers)
    assert "法律援助" in text
    assert any("法律咨询" in button["payload"] for answer in answers for button in answer.get("buttons", []))
    assert "什么时候" in someone.says("好的")


def test_mutual_help_post_waits_for_approval(assistant, resident, store):
    someone = resident()
    someone.say("谁能帮我周六上午接一下孩子放学")
    answer = someone.says("周六上午")
    if "联系" in answer:
        answer = someone.says("平台留言")
    assert "审核" in answer
    with session_scope(assistant.database_url) as session:
        post = session.execute(select(MutualHelpPost).where(MutualHelpPost.sender_id == someone.sender)).scalar_one()
    assert "接一下孩子" in post.content
    assert post.content not in resident().says("看看邻里圈最近有什么求助")
    store.approve_post(post.id)
    assert post.content in resident().says("看看邻里圈最近有什么求助")


def test_feedback_is_stored(assistant, resident):
    assert "谢谢" in resident().says("这次服务很满意，五星好评")


def test_gibberish_gets_the_menu_and_a_person(assistant, resident):
    answer = resident().says("阿巴阿巴 qwerty")
    assert "找工作人员" in answer or "帮不上忙" in answer


def test_the_web_chat_reaches_rasa_through_the_staff_service(assistant):
    page = httpx.get(f"{assistant.staff_url}/chat", timeout=10)
    assert page.status_code == 200 and "社区通" in page.text
    answers = httpx.post(
        f"{assistant.staff_url}/chat/send", json={"sender": "webtest0001", "message": "你好"}, timeout=60
    ).json()
    assert "社区通" in answers[0]["text"]
