"""What residents read when staff act on their tickets: short sentences, numbered options.

Kept in one place so the wording can be reviewed (and changed) as a whole.
"""

from __future__ import annotations

from datetime import datetime
from typing import Dict, List

from tickets.routing import SHANGHAI

RATING_BUTTONS: List[Dict[str, str]] = [
    {"title": "1分 很不满意", "payload": "1分"},
    {"title": "2分 不太满意", "payload": "2分"},
    {"title": "3分 一般", "payload": "3分"},
    {"title": "4分 满意", "payload": "4分"},
    {"title": "5分 非常满意", "payload": "5分"},
]


def _when(moment: datetime) -> str:
    local = moment.astimezone(SHANGHAI)
    return f"{local.month}月{local.day}日 {local:%H:%M}"


def staff_reply(number: str, text: str) -> str:
    return f"社区工作人员回复您（工单 {number}）：\n{text}"


def dispatched(number: str, department: str, deadline: datetime) -> str:
    return f"您的工单 {number} 已交给{department}办理。\n我们会在 {_when(deadline)} 前给您答复。"


def resolved(number: str, resolution: str) -> str:
    return (
        f"您的工单 {number} 已办结。\n处理结果：{resolution}\n"
        "请给这次服务打个分，回复 1 到 5 就行，5 分最满意。\n如果问题没解决，直接告诉我们。"
    )


def referred(number: str, body: str, note: str | None) -> str:
    extra = f"\n说明：{note}" if note else ""
    return f"您的工单 {number} 不归社区办理，已转给{body}。{extra}\n有疑问可以直接回复我们。"


def no_action(number: str, note: str | None) -> str:
    reason = f"\n说明：{note}" if note else ""
    return f"您的工单 {number} 已处理完毕。{reason}\n有疑问可以直接回复我们。"


def reopened(number: str) -> str:
    return f"您的工单 {number} 已重新办理，我们会尽快跟进。"


def merged(number: str, into: str) -> str:
    return f"您反映的问题和工单 {into} 是同一件事，我们合并办理。\n以后查进度，请说“查一下{into}”。"


def booking_confirmed(number: str, at: datetime | None) -> str:
    when = f"\n时间：{_when(at)}" if at else ""
    return f"您的预约 {number} 已确认。{when}\n请按时到场，有变化请提前告诉我们。"


def booking_rescheduled(number: str, at: datetime) -> str:
    return f"您的预约 {number} 改到了 {_when(at)}。\n这个时间不方便的话，请直接回复我们。"


def booking_cancelled(number: str, note: str | None) -> str:
    reason = f"\n原因：{note}" if note else ""
    return f"很抱歉，您的预约 {number} 已取消。{reason}\n需要的话可以重新预约。"


def taken_over(name: str) -> str:
    return f"您好，我是社区工作人员{name}，现在由我来为您服务。\n请直接说您的情况。"


def handed_back() -> str:
    return "工作人员已结束这次对话，小助手继续为您服务。\n有事随时说。"


def post_approved() -> str:
    return "您在邻里圈发的信息已经审核通过，邻居们现在能看到了。"


def post_rejected(reason: str) -> str:
    return f"您在邻里圈发的信息没有通过审核。\n原因：{reason}\n改一改可以再发。"


def emergency_reached(number: str, whom: str | None, duty_phone: str) -> str:
    """After an emergency's first reply, once an alert reached someone on duty (a name, or the duty group)."""
    who = f"值班人员 {whom}" if whom else "社区值班人员"
    return f"已通知{who}，会马上处理您的紧急工单 {number}。\n情况有变化，请直接打社区值班电话 {duty_phone}。"


def emergency_not_reached(number: str, duty_phone: str) -> str:
    """After an emergency's first reply, when no alert reached anyone on duty in time."""
    return (
        f"值班人员暂时没有回应，请直接拨打社区值班电话 {duty_phone}。\n"
        f"您的紧急工单 {number} 已经记下，工作人员看到会马上处理。"
    )
