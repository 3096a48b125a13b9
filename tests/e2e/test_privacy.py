"""A resident's data rights over Rasa's REST channel: seeing what is kept, and erasure after a yes,
checked in the ticket store and in the conversation store. Real action server, Rasa and staff
service (whose loop empties the conversation), real SQLite."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

import httpx
import pytest
import yaml
from sqlalchemy import select

from tests.live import api_params
from tickets.db import session_scope
from tickets.models import Ticket
from tickets.privacy import ANONYMOUS_PREFIX

pytestmark = pytest.mark.e2e

MY_PHONE, THEIR_PHONE = "13712345678", "13600001111"
WAIT_FOR_THE_LOOP_SECONDS = 90  # a wait for the staff service's loop, not a measure of its speed


def file_complaint(someone, phone: str) -> None:
    someone.say("小区北门的路灯一直不亮，晚上太黑了")
    someone.say("3栋2单元501门口")
    someone.say(phone)


def conversation_rows(tracker_db: str, sender: str) -> list:
    with sqlite3.connect(tracker_db) as connection:
        return connection.execute("SELECT data FROM events WHERE sender_id = ?", (sender,)).fetchall()


def test_a_resident_sees_what_is_kept_and_has_it_erased_after_a_yes(assistant, resident):
    me, neighbour = resident(), resident()
    file_complaint(me, MY_PHONE)
    file_complaint(neighbour, THEIR_PHONE)
    with session_scope(assistant.database_url) as session:
        [number] = session.execute(select(Ticket.number).where(Ticket.sender_id == me.sender)).scalars()

    kept = me.says("俺想看看你们都存了俺啥信息")
    assert "137****5678" in kept and "工单 1 件" in kept
    assert MY_PHONE not in kept and "136****1111" not in kept

    asked = me.says("把我的个人信息都删了吧")
    assert "回复 1 确认删除" in asked and "1 件工单没办完" in asked
    with session_scope(assistant.database_url) as session:  # nothing goes before the yes
        assert session.execute(select(Ticket.sender_id).where(Ticket.number == number)).scalar_one() == me.sender

    assert "已经删除了" in me.says("1")

    with session_scope(assistant.database_url) as session:
        ticket = session.execute(select(Ticket).where(Ticket.number == number)).scalar_one()
        assert ticket.sender_id.startswith(ANONYMOUS_PREFIX)
        assert (ticket.contact_phone, ticket.transcript, ticket.address) == (None, [], "3栋")
        neighbours = session.execute(select(Ticket).where(Ticket.sender_id == neighbour.sender)).scalar_one()
        assert neighbours.contact_phone == THEIR_PHONE and neighbours.transcript
    deadline = time.monotonic() + WAIT_FOR_THE_LOOP_SECONDS
    while conversation_rows(assistant.tracker_db, me.sender) and time.monotonic() < deadline:
        time.sleep(0.5)
    assert conversation_rows(assistant.tracker_db, me.sender) == []
    assert any(THEIR_PHONE in row[0] for row in conversation_rows(assistant.tracker_db, neighbour.sender))

    assert "没有记您的工单" in me.says("你们存了我哪些信息")


def test_saying_no_keeps_everything(assistant, resident):
    me = resident()
    file_complaint(me, MY_PHONE)

    assert "回复 1 确认删除" in me.says("删除我的个人信息")
    assert "不删除" in me.says("2")

    with session_scope(assistant.database_url) as session:
        ticket = session.execute(select(Ticket).where(Ticket.sender_id == me.sender)).scalar_one()
        assert ticket.contact_phone == MY_PHONE
    assert conversation_rows(assistant.tracker_db, me.sender)


DEV_MESSAGES = Path(__file__).resolve().parent.parent / "dev" / "privacy_messages.yml"
PRIVACY_INTENTS = ("request_my_data", "delete_my_data")


def test_the_trained_model_tells_data_rights_from_their_near_misses(assistant):
    """Messages written apart from the training data: most data-rights requests are understood,
    and none of the near misses (a ticket's status, a booking, a person) is taken for one."""
    messages = yaml.safe_load(DEV_MESSAGES.read_text(encoding="utf-8"))
    trained = (Path(__file__).resolve().parents[2] / "data" / "nlu" / "privacy.yml").read_text(encoding="utf-8")
    assert not [text for texts in messages.values() for text in texts if f"- {text}\n" in trained]

    def intent_of(text: str) -> str:
        response = httpx.post(
            f"{assistant.rasa_url}/model/parse", params=api_params(assistant), json={"text": text}, timeout=60
        )
        response.raise_for_status()
        return response.json()["intent"]["name"]

    found = {intent: [intent_of(text) for text in texts] for intent, texts in messages.items()}
    for intent in PRIVACY_INTENTS:
        assert found[intent].count(intent) >= 8, (intent, found[intent])
    near_misses = [name for intent, names in found.items() if intent not in PRIVACY_INTENTS for name in names]
    assert not set(near_misses) & set(PRIVACY_INTENTS), found
