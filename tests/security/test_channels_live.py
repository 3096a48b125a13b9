"""Residents are never answered with silence, clients with 500s, and replays are refused:
against the real Rasa server and action server (tests/security/conftest.py)."""

from __future__ import annotations

import json
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from bot.channels import replies
from tests.channels.wechat_fakes import message_xml
from tests.security.conftest import sender

pytestmark = [pytest.mark.e2e, pytest.mark.security]


def rest(stack, who: str, message: str) -> httpx.Response:
    return httpx.post(stack.rest_url, json={"sender": who, "message": message}, timeout=60)


def texts(response: httpx.Response) -> str:
    return "\n".join(item.get("text", "") for item in response.json())


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"not json",
        b"[]",
        b'"hello"',
        b"\xff\xfe",
        json.dumps({"message": "你好"}).encode(),
        json.dumps({"sender": "someone"}).encode(),
        json.dumps({"sender": "someone", "message": 5}).encode(),
        json.dumps({"sender": "", "message": "你好"}).encode(),
        json.dumps({"sender": "someone", "message": "你好", "metadata": ["x"]}).encode(),
    ],
)
def test_a_rest_body_that_is_not_a_message_gets_400_with_a_reason(stack, body):
    response = httpx.post(stack.rest_url, content=body, headers={"Content-Type": "application/json"}, timeout=30)
    assert response.status_code == 400
    assert response.json()["message"]


@pytest.mark.parametrize(
    "body", [b"", b"not json", b"[]", b"{}", b'{"text": 5}', b'{"text": ""}', b'{"text": " \\n "}', b"\xff"]
)
def test_parse_answers_400_to_what_it_cannot_parse(stack, body):
    response = httpx.post(f"{stack.settings.rasa_url}/model/parse", params=stack.api_params(), content=body, timeout=30)
    assert response.status_code == 400, response.text
    assert response.json()["reason"] == "BadRequest"


def test_parse_still_parses(stack):
    response = httpx.post(
        f"{stack.settings.rasa_url}/model/parse", params=stack.api_params(), json={"text": "着火了"}, timeout=30
    )
    assert response.status_code == 200 and response.json()["intent"]["name"] == "report_emergency"


@pytest.mark.parametrize("message", ["", "   ", "\n\t　"])
def test_an_empty_message_gets_a_polite_answer_and_never_reaches_rasa(stack, message):
    who = sender()
    response = rest(stack, who, message)
    assert response.status_code == 200 and "没有收到文字" in texts(response)
    assert stack.user_texts(who) == []


def test_a_100k_message_is_answered_politely_while_a_neighbour_chats_on(stack):
    long_text = "楼上天天半夜装修太吵了，" * 9_000  # about 100,000 characters
    who, neighbour = sender(), sender()
    with ThreadPoolExecutor(2) as pool:
        long_answer = pool.submit(rest, stack, who, long_text)
        chat = pool.submit(lambda: [rest(stack, neighbour, text) for text in ("你好", "你是机器人吗", "谢谢")])
        response = long_answer.result()
        assert all(answer.status_code == 200 and answer.json() for answer in chat.result())
    assert response.status_code == 200
    assert texts(response).startswith(replies.TOO_LONG.format(limit=stack.settings.max_message_chars)[:8])
    [event] = stack.user_events(who)
    assert len(event["text"]) == stack.settings.max_message_chars
    assert event["metadata"]["full_text"] == long_text.strip()


def test_a_hung_action_server_still_gives_the_hotline_and_everyone_an_honest_answer(stack):
    with stack.action_server_stopped():
        started = time.monotonic()
        fire = rest(stack, sender(), "厨房着火了")
        hotline_after = time.monotonic() - started
        ordinary = rest(stack, sender(), "楼道的灯坏了，想投诉一下")
        wechat_openid = f"o{sender()[4:]}wechat00000000"[:28]
        xml = message_xml(wechat_openid, "text", {"Content": "着火了，好大的烟"}, msg_id=stack.platform.new_msg_id())
        wechat_started = time.monotonic()
        wechat = stack.platform.reply(stack.platform.post(xml))
        wechat_after = time.monotonic() - wechat_started
    assert fire.status_code == 200 and "119" in fire.json()[0]["text"]
    assert hotline_after < stack.settings.action_timeout_seconds  # not waiting for the action server
    assert stack.settings.duty_phone in texts(fire)
    assert ordinary.status_code == 200 and stack.settings.duty_phone in texts(ordinary)
    assert wechat is not None and "119" in wechat["Content"]
    assert wechat_after < stack.settings.action_timeout_seconds


def test_too_many_messages_from_one_sender_get_429_and_a_polite_text(stack):
    who = sender()
    answers = [rest(stack, who, " ") for _ in range(stack.settings.rate_limit_per_sender)]
    assert all(answer.status_code == 200 for answer in answers)
    refused = rest(stack, who, "你好")
    assert refused.status_code == 429 and "发得有点快" in texts(refused)
    assert stack.user_texts(who) == []
    assert rest(stack, sender(), "你好").status_code == 200  # the neighbour is not limited


def test_a_replayed_wechat_query_string_with_another_body_is_refused(stack):
    platform = stack.platform
    resident, attacker_victim = f"o{'1' * 27}", f"o{'2' * 27}"
    args = platform.signed_args()
    first = message_xml(resident, "text", {"Content": "你好"}, msg_id=platform.new_msg_id()).encode()
    answered = platform.post_raw(first, args)
    assert answered.status_code == 200 and answered.text != "success"
    forged = message_xml(attacker_victim, "text", {"Content": "厨房着火了"}, msg_id=platform.new_msg_id()).encode()
    replay = platform.post_raw(forged, args)
    assert replay.status_code == 403
    assert stack.user_texts(attacker_victim) == []
    retry = platform.post_raw(first, args)  # WeChat retrying the very same request is not a replay
    assert platform.reply(retry)["Content"] == platform.reply(answered)["Content"]
