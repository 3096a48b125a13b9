"""The WeChat channel in a Sanic server of its own, with a scripted stand-in for Rasa's agent:
fast checks of the 5-second window, retries, numbered options and the outbox, in both modes.
(test_wechat_channel.py runs the same protocol against the real Rasa server.)"""

from __future__ import annotations

import asyncio
import base64
import os
import threading
import time
import uuid
from typing import Any, Dict, Iterator, List

import pytest
from rasa.core.channels.channel import UserMessage
from sanic import Sanic
from wechatpy.crypto import WeChatCrypto

from bot.channels.wechat import WeChatInput
from bot.delivery import pending_messages
from bot.runner import free_port
from bot.settings import Settings
from tests.channels.wechat_fakes import FakeWeChatApi, WeChatPlatform, message_xml

TOKEN, APP_ID, APP_SECRET = "inprocess-token", "wx00000000inproc0", "secret"
SLOW = 4.6  # past the channel's 4-second window


class ScriptedAgent:
    """Answers like Rasa would, from a script; counts what it handled."""

    def __init__(self) -> None:
        self.handled: List[UserMessage] = []
        self.tickets = 0

    async def __call__(self, message: UserMessage) -> None:
        self.handled.append(message)
        out, sender = message.output_channel, message.sender_id
        if message.text == "你好":
            buttons = [{"title": "1. 预约服务", "payload": "/book_service"}, {"title": "2. 投诉", "payload": "/c"}]
            await out.send_response(sender, {"text": "您好！要办什么？", "buttons": buttons})
        elif message.text == "慢慢来":
            await asyncio.sleep(SLOW)
            await out.send_response(sender, {"text": "让您久等了"})
        elif message.text == "好几条":
            for index in range(3):
                await out.send_response(sender, {"text": f"第{index + 1}条"})
        elif message.text == "开工单":
            await asyncio.sleep(SLOW)
            self.tickets += 1
            await out.send_response(sender, {"text": f"工单 {self.tickets} 已登记"})
        else:
            await out.send_response(sender, {"text": f"收到：{message.text}"})


class Harness:
    def __init__(self, mode: str, database_url: str) -> None:
        aes_key = base64.b64encode(os.urandom(32)).decode().rstrip("=") if mode == "safe" else None
        self.api = FakeWeChatApi(APP_ID, APP_SECRET)
        self.agent = ScriptedAgent()
        self.settings = Settings(
            database_url=database_url,
            wechat_token=TOKEN,
            wechat_app_id=APP_ID,
            wechat_app_secret=APP_SECRET,
            wechat_aes_key=aes_key,
            wechat_api_base=self.api.base,
        )
        app = Sanic(f"wechat_{uuid.uuid4().hex[:8]}")
        app.blueprint(WeChatInput(self.settings).blueprint(self.agent), url_prefix="/webhooks/wechat")
        port = free_port()
        self.loop = asyncio.new_event_loop()
        ready = threading.Event()

        def serve() -> None:
            asyncio.set_event_loop(self.loop)
            server = self.loop.run_until_complete(
                app.create_server(host="127.0.0.1", port=port, return_asyncio_server=True)
            )
            self.loop.run_until_complete(server.startup())
            self.loop.run_until_complete(server.after_start())
            ready.set()
            self.loop.run_forever()

        threading.Thread(target=serve, daemon=True).start()
        assert ready.wait(30)
        crypto = WeChatCrypto(TOKEN, aes_key, APP_ID) if aes_key else None
        self.platform = WeChatPlatform(f"http://127.0.0.1:{port}/webhooks/wechat/webhook", TOKEN, crypto)

    def say(self, openid: str, text: str, msg_id: int | None = None) -> Dict[str, Any] | None:
        xml = message_xml(openid, "text", {"Content": text}, msg_id=msg_id or self.platform.new_msg_id())
        return self.platform.reply(self.platform.post(xml))

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.api.close()


@pytest.fixture(params=["plain", "safe"])
def harness(request, sqlite_url) -> Iterator[Harness]:
    running = Harness(request.param, sqlite_url)
    yield running
    running.close()


def openid() -> str:
    return f"o{uuid.uuid4().hex[:27]}"


def test_a_quick_single_answer_is_the_passive_reply(harness):
    resident = openid()
    reply = harness.say(resident, "你好")
    assert reply["Content"] == "您好！要办什么？\n回复 1 预约服务\n回复 2 投诉"
    assert harness.agent.handled[0].input_channel == "wechat" and harness.agent.handled[0].sender_id == resident


def test_the_number_sends_the_payload_and_is_used_up(harness):
    resident = openid()
    harness.say(resident, "你好")
    assert harness.say(resident, "一")["Content"] == "收到：/book_service"
    assert harness.say(resident, "1")["Content"] == "收到：1"  # the options were used up


def test_a_slow_answer_is_success_now_and_a_customer_service_message_later(harness):
    resident = openid()
    started = time.monotonic()
    assert harness.say(resident, "慢慢来") is None
    assert time.monotonic() - started < 4.5
    assert harness.api.wait_for_texts(resident, 1, timeout=10) == ["让您久等了"]


def test_several_messages_go_out_in_order(harness):
    resident = openid()
    assert harness.say(resident, "好几条") is None
    assert harness.api.wait_for_texts(resident, 3, timeout=10) == ["第1条", "第2条", "第3条"]


def test_retries_wait_for_the_first_and_never_rerun(harness):
    resident = openid()
    msg_id = harness.platform.new_msg_id()
    results: List[Any] = []
    threads = [threading.Thread(target=lambda: results.append(harness.say(resident, "开工单", msg_id)))]
    threads += [threading.Thread(target=lambda: results.append(harness.say(resident, "开工单", msg_id)))]
    for thread in threads:
        thread.start()
        time.sleep(0.3)
    for thread in threads:
        thread.join()
    results.append(harness.say(resident, "开工单", msg_id))
    assert results == [None, None, None]
    assert harness.api.wait_for_texts(resident, 1, timeout=10) == ["工单 1 已登记"]
    time.sleep(0.5)
    assert harness.agent.tickets == 1 and harness.api.texts_to(resident) == ["工单 1 已登记"]


def test_out_of_window_messages_wait_then_go_when_the_resident_writes(harness):
    resident = openid()
    harness.api.out_of_window.add(resident)
    harness.say(resident, "好几条")
    deadline = time.monotonic() + 10
    while len(pending_messages(harness.settings.database_url)) < 3:
        assert time.monotonic() < deadline
        time.sleep(0.1)
    harness.api.out_of_window.discard(resident)
    assert harness.say(resident, "在吗")["Content"] == "收到：在吗"
    assert harness.api.wait_for_texts(resident, 3, timeout=10) == ["第1条", "第2条", "第3条"]
    assert pending_messages(harness.settings.database_url) == []


def test_a_typed_slash_command_reaches_rasa_as_text_not_as_an_intent(harness):
    resident = openid()
    harness.say(resident, '/inform{"phone": "13800000000"}')
    assert harness.agent.handled[-1].text.startswith("／inform")


def test_an_event_with_a_blank_field_is_refused_not_a_server_error(harness):
    """wechatpy reads a blank <Event> as None and fails on it; found by tests/security fuzzing."""
    xml = message_xml(openid(), "event", {"Event": " "}, msg_id=None)
    answer = harness.platform.post(xml)
    assert answer.status_code == 400 and harness.agent.handled == []
