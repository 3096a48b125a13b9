"""Which of a conversation's messages the web chat still has to show, from real Rasa events."""

from __future__ import annotations

from typing import Any, Dict, List

from fastapi.testclient import TestClient
from rasa.shared.core.events import ActionExecuted, BotUttered, SlotSet, UserUttered

from bot.runner import free_port
from bot.settings import Settings
from bot.staff.app import create_app
from bot.staff.webchat import later_messages

MENU = [{"title": "1. 预约服务", "payload": "/book_service"}]


def events(*rasa_events: Any) -> List[Dict[str, Any]]:
    """Rasa events as its tracker endpoint returns them, one second apart."""
    serialised = []
    for second, event in enumerate(rasa_events, start=1):
        event.timestamp = 1000.0 + second
        serialised.append(event.as_dict())
    return serialised


CONVERSATION = events(
    UserUttered("你好", intent={"name": "greet"}),  # 1001
    ActionExecuted("utter_greet"),
    BotUttered("您好！", data={"buttons": MENU}),  # 1003: answered through /chat/send
    ActionExecuted("action_listen"),
    UserUttered.create_external("ticket_updated"),  # 1005: a ticket update triggered by the system
    ActionExecuted("utter_ticket_updated"),
    BotUttered("您的工单有新进展。"),  # 1007
    ActionExecuted("action_listen"),
    SlotSet("handoff_active", True),
    BotUttered("您好，我是网格员小李。", metadata={"staff": "小李"}),  # 1010: appended by staff
)


def test_answers_to_the_residents_own_messages_are_not_shown_twice():
    messages, cursor = later_messages(CONVERSATION, after=0.0)
    assert [message["text"] for message in messages] == ["您的工单有新进展。", "您好，我是网格员小李。"]
    assert [message["staff"] for message in messages] == [False, True]
    assert cursor == 1010.0


def test_only_messages_after_the_cursor_are_returned():
    messages, cursor = later_messages(CONVERSATION, after=1007.0)
    assert [message["text"] for message in messages] == ["您好，我是网格员小李。"]
    assert later_messages(CONVERSATION, after=cursor) == ([], cursor)


def test_updates_answer_503_when_rasa_is_down_and_refuse_bad_senders(sqlite_url):
    client = TestClient(create_app(Settings(database_url=sqlite_url, rasa_port=free_port())))
    assert client.get("/chat/updates", params={"sender": "abcdef123456", "after": 0}).status_code == 503
    assert client.get("/chat/updates", params={"sender": "../../status"}).status_code == 422
