"""Dates, statuses and lists as elderly residents read them most easily."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Dict, Iterable, List

from rasa_sdk import Tracker

from text.timeparse import SHANGHAI
from tickets.models import TicketStatus

WEEKDAYS = "一二三四五六日"
STATUS_NAMES = {
    TicketStatus.new: "已受理，等待分派",
    TicketStatus.assigned: "已分派给负责部门",
    TicketStatus.in_progress: "正在处理",
    TicketStatus.resolved: "已办结",
    TicketStatus.closed: "已关闭",
    TicketStatus.cancelled: "已取消",
    TicketStatus.duplicate: "和另一件工单合并办理",
    TicketStatus.referred: "已转给负责的单位办理",
    TicketStatus.no_action: "已处理完毕",
}


def when(moment: datetime) -> str:
    """11月30日（周一）15:00"""
    local = moment.astimezone(SHANGHAI)
    return f"{local.month}月{local.day}日（周{WEEKDAYS[local.weekday()]}）{local:%H:%M}"


def numbered(lines: Iterable[str]) -> str:
    return "\n".join(f"{index}. {line}" for index, line in enumerate(lines, start=1))


def channel_of(tracker: Tracker) -> str:
    return (tracker.get_latest_input_channel() or "rest").lower()


def transcript_of(tracker: Tracker, limit: int = 30) -> List[Dict[str, Any]]:
    """The conversation so far, for the staff member who picks up the ticket."""
    lines = []
    for event in tracker.events:
        role = {"user": "resident", "bot": "bot"}.get(event.get("event"))
        text = event.get("text")
        if role and text:
            at = datetime.fromtimestamp(event.get("timestamp") or 0, SHANGHAI).isoformat()
            lines.append({"role": role, "text": text, "at": at})
    return lines[-limit:]


def latest_user_metadata(tracker: Tracker) -> Dict[str, Any]:
    """What the channel sent along with the resident's latest message (it is on the event, not in
    ``latest_message``)."""
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            return dict(event.get("metadata") or {})
    return {}
