"""A typed number picks the option offered last, read from the conversation itself."""

from __future__ import annotations

import pytest
from rasa.shared.core.events import ActionExecuted, BotUttered, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.training_data.message import Message

from bot.rasa_components.options import PICKED_OPTION, OptionPicker
from text.choices import chosen_number

MENU = [
    {"title": "1. 预约服务", "payload": "/book_service"},
    {"title": "2. 投诉报修", "payload": "/file_complaint"},
]


def conversation(*events) -> DialogueStateTracker:
    return DialogueStateTracker.from_events("resident-1", [ActionExecuted("action_listen"), *events])


def picked(text: str, tracker: DialogueStateTracker) -> Message:
    message = Message(data={"text": text})
    OptionPicker().process([message], tracker)
    return message


OFFERED = conversation(
    UserUttered("你好"),
    ActionExecuted("utter_greet"),
    BotUttered("您好！", data={"buttons": MENU}),
    ActionExecuted("action_listen"),
)


@pytest.mark.parametrize("text", ["2", "２", "二", "第2个", "2.", " 2 "])
def test_a_number_becomes_the_payload_of_the_option_offered_last(text):
    message = picked(text, OFFERED)
    assert message.get("text") == "/file_complaint"
    assert message.get(PICKED_OPTION) == {"number": 2, "payload": "/file_complaint"}
    assert PICKED_OPTION in message.as_dict(only_output_properties=True)


@pytest.mark.parametrize("text", ["3", "13812345678", "3栋2单元501", "两点"])
def test_anything_else_stays_as_typed(text):
    assert picked(text, OFFERED).get("text") == text


def test_options_are_only_those_of_the_bot_since_the_residents_last_message():
    answered = conversation(
        UserUttered("你好"),
        BotUttered("您好！", data={"buttons": MENU}),
        UserUttered("我想投诉"),
        BotUttered("请说说遇到了什么问题。"),
    )
    assert picked("2", answered).get("text") == "2"


def test_the_latest_buttons_of_the_turn_count():
    later = conversation(
        UserUttered("来家里帮忙"),
        BotUttered("您说的可能是：", data={"buttons": [{"title": "1. 家政服务", "payload": "/affirm"}]}),
        BotUttered("请回复数字选一项。"),
    )
    assert picked("1", later).get("text") == "/affirm"


def test_chosen_number_reads_only_a_bare_number():
    assert chosen_number("选3") == 3
    assert chosen_number("十") == 10
    assert chosen_number("3号楼") is None
    assert chosen_number("") is None
