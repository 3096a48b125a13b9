"""Answers before forms, end to end: a question about a service is answered, with its basis, and opens nothing."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from tickets.db import session_scope
from tickets.models import Ticket, TicketKind

pytestmark = pytest.mark.e2e


def tickets_of(database_url: str, sender: str):
    with session_scope(database_url) as session:
        return list(session.execute(select(Ticket).where(Ticket.sender_id == sender)).scalars())


@pytest.mark.parametrize(
    "question, name",
    [
        ("有没有人能上门帮老人洗澡", "居家照护"),  # the classifier alone took it for the mutual-help board
        ("想找工作 社区管不管介绍", "社区就业服务"),  # … and this for a complaint
        ("附近有没有菜市场", "一刻钟便民生活圈"),
        ("小孩打疫苗去哪打 要带啥", "社区卫生服务中心"),  # "打" once made it an emergency to the classifier
    ],
)
def test_a_service_question_is_answered_from_the_catalogue_with_its_basis(assistant, resident, question, name):
    someone = resident()
    answers = someone.say(question)
    text = "\n".join(answer.get("text", "") for answer in answers)
    assert f"【{name}】" in text
    assert "依据：《江苏省“十四五”城乡社区服务体系建设规划》" in text and "核对日期：" in text
    assert any(button["payload"] == "/request_human" for answer in answers for button in answer.get("buttons", []))
    assert "大概什么时候" not in text and "问题在哪里" not in text
    assert tickets_of(assistant.database_url, someone.sender) == []


def test_a_request_still_starts_its_form(assistant, resident):
    assert "什么时候" in resident().says("帮我预约上门理发")


def test_a_person_asked_for_with_a_ticket_number_is_handed_over(assistant, resident):
    someone = resident()
    opened = someone.says("工单GD20261130-0003 请工作人员联系我")
    [ticket] = tickets_of(assistant.database_url, someone.sender)
    assert ticket.kind is TicketKind.handoff and ticket.number in opened
