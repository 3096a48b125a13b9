"""Telegram: real Bot API ``Update`` JSON through the running Rasa server; the bot's answers are
captured by a fake Bot API server on loopback (tests/channels/fake_telegram.py)."""

from __future__ import annotations

import asyncio
import itertools
import os
import random
import re
import subprocess
import sys
import time
import uuid
from typing import Any, Dict, Iterator

import httpx
import pytest
from sqlalchemy import update

from bot.channels.telegram import ONLY_TEXT_REPLY
from bot.delivery import outbox
from bot.delivery.db import session_scope as delivery_session
from bot.delivery.proactive import CHANNEL, ProactiveSender, message_events
from bot.delivery.tables import OutboxMessage, utcnow
from bot.runner import ROOT
from bot.settings import Settings
from tests.channels.fake_telegram import BOT_USER, FakeBotApi
from tests.live import api_params, rest_answers, running_assistant, settings_for
from tickets.models import TicketKind
from tickets.schemas import TicketCreate
from tickets.service import TicketService

TOKEN = "123456789:AAF-test-token_only-for-the-fake-api"
SECRET = "s3cret-Token_for-webhook"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
STAFF = ("zhang", "staff-密码-123")

pytestmark = pytest.mark.e2e

_ids = itertools.count(random.randint(10**6, 10**8))


@pytest.fixture(scope="module")
def telegram_api() -> Iterator[FakeBotApi]:
    fake = FakeBotApi(TOKEN).start()
    yield fake
    fake.stop()


@pytest.fixture(scope="module")
def assistant(telegram_api, tmp_path_factory) -> Iterator[Settings]:
    workdir = tmp_path_factory.mktemp("telegram")
    settings = settings_for(
        workdir,
        telegram_token=TOKEN,
        telegram_api_base=telegram_api.base,
        telegram_secret_token=SECRET,
        staff_admin_user=STAFF[0],
        staff_admin_password=STAFF[1],
        staff_secret_file=str(workdir / "staff_secret.key"),
    )
    with running_assistant(settings, workdir) as running:
        yield running


class Resident:
    """One Telegram user in a private chat with the bot, as Telegram would post their updates."""

    def __init__(self, settings: Settings) -> None:
        self.chat_id = next(_ids)
        self.user = {"id": self.chat_id, "is_bot": False, "first_name": "王阿姨", "language_code": "zh-hans"}
        self.url = f"{settings.rasa_url}/webhooks/telegram/webhook"

    def chat(self) -> Dict[str, Any]:
        return {"id": self.chat_id, "type": "private", "first_name": "王阿姨"}

    def message(self, text: str | None = None, **content: Any) -> Dict[str, Any]:
        message: Dict[str, Any] = {
            "message_id": next(_ids),
            "date": int(time.time()),
            "chat": self.chat(),
            "from": self.user,
            **content,
        }
        if text is not None:
            message["text"] = text
            if text.startswith("/"):
                message["entities"] = [{"offset": 0, "length": len(text.split()[0]), "type": "bot_command"}]
        return {"update_id": next(_ids), "message": message}

    def press(self, keyboard_message: Dict[str, Any], button: Dict[str, Any]) -> Dict[str, Any]:
        """The update Telegram sends when the resident taps ``button`` under ``keyboard_message``."""
        return {
            "update_id": next(_ids),
            "callback_query": {
                "id": str(uuid.uuid4().int)[:18],
                "from": self.user,
                "chat_instance": str(-self.chat_id),
                "data": button["callback_data"],
                "message": keyboard_message,
            },
        }

    def post(self, update: Dict[str, Any] | bytes, secret: str | None = SECRET) -> httpx.Response:
        headers = {SECRET_HEADER: secret} if secret is not None else {}
        if isinstance(update, bytes):
            headers["Content-Type"] = "application/json"
            return httpx.post(self.url, content=update, headers=headers, timeout=60)
        return httpx.post(self.url, json=update, headers=headers, timeout=60)


@pytest.fixture
def resident(assistant) -> Resident:
    return Resident(assistant)


def test_start_greets_with_the_menu_as_an_inline_keyboard(assistant, telegram_api, resident):
    assert resident.post(resident.message("/start")).status_code == 200
    [greeting] = telegram_api.calls("sendMessage", resident.chat_id)
    assert greeting.params["text"] == rest_answers(assistant, "/greet")[0]
    keyboard = greeting.params["reply_markup"]["inline_keyboard"]
    assert [row[0]["text"] for row in keyboard][:2] == ["1. 预约服务", "2. 投诉报修"]
    assert all(len(row) == 1 for row in keyboard)  # one big button a row
    assert keyboard[0][0]["callback_data"] == "/book_service"


def test_a_text_message_gets_the_same_answer_as_on_any_channel(assistant, telegram_api, resident):
    assert resident.post(resident.message("你是机器人吗")).status_code == 200
    assert telegram_api.sent_texts(resident.chat_id) == rest_answers(assistant, "你是机器人吗")


def test_a_tapped_button_is_acknowledged_and_its_payload_goes_to_rasa(assistant, telegram_api, resident):
    resident.post(resident.message("/start"))
    [greeting] = telegram_api.calls("sendMessage", resident.chat_id)
    keyboard_message = {
        "message_id": 1,
        "date": int(time.time()),
        "chat": resident.chat(),
        "from": BOT_USER,
        "text": greeting.params["text"],
        "reply_markup": greeting.params["reply_markup"],
    }
    book = greeting.params["reply_markup"]["inline_keyboard"][0][0]
    tap = resident.press(keyboard_message, book)

    assert resident.post(tap).status_code == 200

    [acknowledged] = telegram_api.calls("answerCallbackQuery")[-1:]
    assert acknowledged.params["callback_query_id"] == tap["callback_query"]["id"]
    assert acknowledged.params["text"] == "您选了：1. 预约服务"
    after_tap = telegram_api.sent_texts(resident.chat_id)[1:]
    assert after_tap and after_tap == rest_answers(assistant, "/greet", "/book_service")


def test_calls_without_the_secret_token_are_refused_and_not_processed(telegram_api, resident):
    assert resident.post(resident.message("你好"), secret=None).status_code == 403
    assert resident.post(resident.message("你好"), secret="guessed").status_code == 403
    assert telegram_api.calls(chat_id=resident.chat_id) == []


@pytest.mark.parametrize(
    "body",
    [b'{"update_id": 1, "message": ', b"[1, 2]", b'{"message": {"text": "no update_id"}}'],
    ids=["broken-json", "not-an-object", "not-an-update"],
)
def test_a_body_that_is_not_an_update_is_refused(resident, body):
    assert resident.post(body).status_code == 400


def test_an_update_delivered_twice_is_answered_once(telegram_api, resident):
    update = resident.message("你是机器人吗")
    assert resident.post(update).status_code == 200
    answered = telegram_api.sent_texts(resident.chat_id)
    assert resident.post(update).status_code == 200
    assert answered and telegram_api.sent_texts(resident.chat_id) == answered


def test_a_photo_gets_a_polite_request_for_text(telegram_api, resident):
    photo = [{"file_id": "AgACAgUAAxkBAAIB", "file_unique_id": "AQADzMcxG", "width": 90, "height": 67}]
    assert resident.post(resident.message(photo=photo)).status_code == 200
    assert telegram_api.sent_texts(resident.chat_id) == [ONLY_TEXT_REPLY]


def test_rasa_can_message_a_telegram_resident_proactively(assistant, telegram_api, resident):
    """What staff replies and ticket updates use: Rasa's trigger_intent with output_channel=telegram."""
    response = httpx.post(
        f"{assistant.rasa_url}/conversations/{resident.chat_id}/trigger_intent",
        params={"output_channel": "telegram", **api_params(assistant)},
        json={"name": "greet"},
        timeout=60,
    )
    assert response.status_code == 200
    assert telegram_api.sent_texts(resident.chat_id) == rest_answers(assistant, "/greet")


def test_the_set_webhook_command_registers_the_url_and_the_secret(telegram_api):
    environment = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "TELEGRAM_TOKEN": TOKEN,
        "TELEGRAM_API_BASE": telegram_api.base,
        "TELEGRAM_SECRET_TOKEN": SECRET,
    }
    done = subprocess.run(
        [sys.executable, "-m", "bot.channels.telegram_webhook", "set", "https://bot.example.org/"],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    [registered] = telegram_api.calls("setWebhook")[-1:]
    assert registered.params["url"] == "https://bot.example.org/webhooks/telegram/webhook"
    assert registered.params["secret_token"] == SECRET
    assert registered.params["allowed_updates"] == ["message", "callback_query"]
    assert TOKEN not in done.stdout + done.stderr


def staff_client(assistant: Settings) -> httpx.Client:
    """The staff API as a program uses it: logged in, the token as a bearer header."""
    staff = httpx.Client(base_url=assistant.staff_url, timeout=60)
    token = staff.post("/api/login", json={"username": STAFF[0], "password": STAFF[1]}).json()["token"]
    staff.headers["Authorization"] = f"Bearer {token}"
    return staff


def keyboard_message_of(call, resident: Resident) -> Dict[str, Any]:
    """The message Telegram shows for a ``sendMessage`` call, as a later callback query carries it."""
    return {
        "message_id": 1,
        "date": int(time.time()),
        "chat": resident.chat(),
        "from": BOT_USER,
        "text": call.params["text"],
        "reply_markup": call.params["reply_markup"],
    }


def test_staff_reply_and_resolution_reach_the_resident_who_rates_with_a_tap(assistant, telegram_api, resident):
    """The console's reply goes out on the resident's own channel; resolving asks for a rating,
    and the tapped rating lands on the ticket."""
    ticket = TicketService(assistant.database_url).open_ticket(
        TicketCreate(
            kind=TicketKind.complaint,
            title="3号楼电梯又坏了",
            description="3号楼电梯又坏了，老人下不了楼",
            address="3栋",
            channel="telegram",
            sender_id=str(resident.chat_id),
        )
    )
    staff = staff_client(assistant)

    page = staff.post(f"/api/tickets/{ticket.number}/reply", json={"text": "维修师傅下午三点到"}).json()
    assert [(d["purpose"], d["status"]) for d in page["deliveries"]] == [("reply", "sent")]
    assert telegram_api.sent_texts(resident.chat_id) == [
        f"社区工作人员回复您（工单 {ticket.number}）：\n维修师傅下午三点到"
    ]

    resolved = staff.post(f"/api/tickets/{ticket.number}/status", json={"status": "resolved", "note": "电梯已修好"})
    assert resolved.status_code == 200
    [question] = telegram_api.calls("sendMessage", resident.chat_id)[1:]
    assert "电梯已修好" in question.params["text"] and "1 到 5" in question.params["text"]
    buttons = [row[0] for row in question.params["reply_markup"]["inline_keyboard"]]
    assert [button["text"] for button in buttons][-1] == "5分 非常满意"

    assert resident.post(resident.press(keyboard_message_of(question, resident), buttons[-1])).status_code == 200
    assert staff.get(f"/api/tickets/{ticket.number}").json()["ticket"]["rating"] == 5
    assert (
        telegram_api.sent_texts(resident.chat_id)[-1]
        == f"谢谢您的评价！已经记在工单 {ticket.number} 上，我们会认真看。"
    )


def test_a_handoff_taken_over_keeps_the_bot_silent_until_handed_back(assistant, telegram_api, resident):
    resident.post(resident.message("转人工"))
    opened = telegram_api.sent_texts(resident.chat_id)
    [number] = re.findall(r"GD\d{8}-\d{4}", "".join(opened))
    staff = staff_client(assistant)

    assert staff.post(f"/api/tickets/{number}/takeover").status_code == 200
    assert telegram_api.sent_texts(resident.chat_id)[-1].startswith("您好，我是社区工作人员")
    before = len(telegram_api.sent_texts(resident.chat_id))
    resident.post(resident.message("我家水管爆了怎么办"))
    assert len(telegram_api.sent_texts(resident.chat_id)) == before  # staff answer now, not the bot
    transcript = staff.get(f"/api/tickets/{number}").json()["ticket"]["transcript"]
    assert transcript[-1]["text"] == "我家水管爆了怎么办"

    assert staff.post(f"/api/tickets/{number}/handback").status_code == 200
    assert "小助手继续为您服务" in telegram_api.sent_texts(resident.chat_id)[-1]
    resident.post(resident.message("你是机器人吗"))
    assert telegram_api.sent_texts(resident.chat_id)[-1] == rest_answers(assistant, "你是机器人吗")[-1]


def test_not_fixed_in_answer_to_the_follow_up_reopens_the_ticket(assistant, telegram_api, resident):
    ticket = TicketService(assistant.database_url).open_ticket(
        TicketCreate(
            kind=TicketKind.complaint,
            title="楼道灯坏了",
            description="5栋楼道灯坏了",
            channel="telegram",
            sender_id=str(resident.chat_id),
        )
    )
    staff = staff_client(assistant)
    staff.post(f"/api/tickets/{ticket.number}/status", json={"status": "resolved", "note": "已换灯泡"})

    assert resident.post(resident.message("灯还是不亮 没修好")).status_code == 200
    assert f"工单 {ticket.number} 已经重新办理" in telegram_api.sent_texts(resident.chat_id)[-1]
    page = staff.get(f"/api/tickets/{ticket.number}").json()["ticket"]
    assert page["status"] == "in_progress" and page["events"][-1]["note"] == "灯还是不亮 没修好"


def test_a_message_that_failed_earlier_is_delivered_by_the_retry(assistant, telegram_api, resident):
    """What the staff service's background loop does after Rasa was down: the kept message goes out once."""
    body = {"output_channel": "telegram", "events": message_events("您的预约已确认。")}
    item = outbox.enqueue(assistant.database_url, CHANNEL, str(resident.chat_id), body)
    outbox.mark_retry(assistant.database_url, item.id, item.attempts, "ConnectError")
    with delivery_session(assistant.database_url) as session:  # as if its backoff were over
        session.execute(update(OutboxMessage).where(OutboxMessage.id == item.id).values(next_attempt_at=utcnow()))
    sender = ProactiveSender(assistant)
    assert asyncio.run(sender.retry_due()) == 1
    assert asyncio.run(sender.retry_due()) == 0
    assert telegram_api.sent_texts(resident.chat_id) == ["您的预约已确认。"]
    assert sender.deliveries([item.id])[item.id].status == outbox.SENT
