"""The proactive sender: what it appends to a conversation, and that nothing is lost while Rasa is down."""

from __future__ import annotations

import asyncio

from bot.delivery import outbox
from bot.delivery.proactive import CHANNEL, ProactiveSender, message_events
from bot.runner import free_port
from bot.settings import Settings


def test_a_plain_message_is_one_bot_event_marked_as_staff_when_it_is():
    [event] = message_events("维修师傅下午到", staff=True)
    assert (event["event"], event["text"], event["metadata"]) == ("bot", "维修师傅下午到", {"staff": True})


def test_slots_come_in_a_session_of_their_own_before_the_message():
    events = message_events("请打分", buttons=[{"title": "5分", "payload": "5分"}], slots={"rating_ticket": "GD1"})
    assert [(e["event"], e.get("name")) for e in events] == [
        ("action", "action_session_start"),
        ("session_started", None),
        ("action", "action_listen"),
        ("slot", "rating_ticket"),
        ("bot", None),
    ]
    assert events[-1]["data"] == {"buttons": [{"title": "5分", "payload": "5分"}]}


def test_a_message_rasa_cannot_take_is_kept_and_retried(sqlite_url):
    sender = ProactiveSender(Settings(database_url=sqlite_url, rasa_port=free_port()))  # nothing listens there
    delivery = asyncio.run(sender.send("web-abcdefgh", "rest", "您的工单已办结"))
    assert delivery.status == outbox.RETRYING and "ConnectError" in (delivery.last_error or "")
    [kept] = outbox.messages_to(sqlite_url, CHANNEL, "web-abcdefgh")
    assert kept.body["output_channel"] == "rest" and kept.body["events"][-1]["text"] == "您的工单已办结"
    assert sender.deliveries([delivery.id])[delivery.id].status == outbox.RETRYING
