"""An emergency reaches a person on duty, on the real stack: a resident writes over REST, Telegram or
WeChat, the SMS/call gateway and the duty group's Telegram chat (all faked at the HTTP level) get the
alert, staff acknowledge through the API; nobody acknowledging escalates to the next person.

The resident's first reply comes at once with the hotline and the ticket number, and never claims
anyone was notified; a second message on their own channel follows exactly once: whom the alarm
reached, or, with nothing able to deliver, to call the duty phone."""

from __future__ import annotations

import re
import time
import uuid
from typing import Dict, Iterator, List

import httpx
import pytest

from bot.settings import Settings
from tests.channels.fake_telegram import FakeBotApi
from tests.channels.wechat_fakes import FakeWeChatApi, WeChatPlatform, message_xml
from tests.live import api_params, running_assistant, settings_for
from tests.staff.fake_gateway import FakeGateway
from tickets.service import TicketService

ADMIN = ("admin", "e2e-admin-密码")
DUTY_GROUP = -1001234567
ROSTER = [{"username": "wang", "phone": "13800000001"}, {"username": "li", "phone": "13800000002"}]
TELEGRAM_SECRET = "alerts-test-secret"
WECHAT = {"token": "alerts-wechat-token", "app_id": "wx00000000alerts00", "app_secret": "alerts-secret"}
REACHED = "已通知值班人员"
NOT_REACHED = "值班人员暂时没有回应"


def is_follow_up(text: str) -> bool:
    return "已通知" in text or NOT_REACHED in text


@pytest.fixture(scope="module")
def gateway() -> Iterator[FakeGateway]:
    with FakeGateway() as fake:
        yield fake


@pytest.fixture(scope="module")
def telegram() -> Iterator[FakeBotApi]:
    fake = FakeBotApi("123456:alerts-test").start()
    yield fake
    fake.stop()


@pytest.fixture(scope="module")
def wechat_api() -> Iterator[FakeWeChatApi]:
    fake = FakeWeChatApi(WECHAT["app_id"], WECHAT["app_secret"])
    yield fake
    fake.close()


@pytest.fixture(scope="module")
def stack(tmp_path_factory, gateway, telegram, wechat_api) -> Iterator[Settings]:
    workdir = tmp_path_factory.mktemp("alerts")
    settings = settings_for(
        workdir,
        staff_admin_user=ADMIN[0],
        staff_admin_password=ADMIN[1],
        staff_secret_file=str(workdir / "staff_secret.key"),
        alert_gateway_url=gateway.url,
        alert_gateway_token=gateway.token,
        telegram_token=telegram.token,
        telegram_api_base=telegram.base,
        telegram_secret_token=TELEGRAM_SECRET,
        wechat_token=WECHAT["token"],
        wechat_app_id=WECHAT["app_id"],
        wechat_app_secret=WECHAT["app_secret"],
        wechat_api_base=wechat_api.base,
        alert_duty_group=f"telegram:{DUTY_GROUP}",
        alert_escalate_minutes=0.2,  # twelve seconds instead of three minutes
        alert_confirm_seconds=5,  # deliveries take well under a second, but this machine is shared
    )
    with running_assistant(settings, workdir) as running:
        yield running


@pytest.fixture(scope="module")
def admin(stack) -> Dict[str, str]:
    token = httpx.post(f"{stack.staff_url}/api/login", json={"username": ADMIN[0], "password": ADMIN[1]}).json()[
        "token"
    ]
    headers = {"Authorization": f"Bearer {token}"}
    for name in ("wang", "li"):
        account = {"username": name, "password": "password-123", "display_name": name}
        assert httpx.post(f"{stack.staff_url}/api/staff", json=account, headers=headers).status_code == 201
    return headers


def set_roster(stack: Settings, admin: Dict[str, str], roster: List[dict]) -> None:
    response = httpx.put(f"{stack.staff_url}/api/duty-roster", json=roster, headers=admin)
    assert response.status_code == 200, response.text


def report(stack: Settings, text: str, sender: str | None = None) -> str:
    sender = sender or f"e2e-{uuid.uuid4().hex[:12]}"
    answer = httpx.post(f"{stack.rasa_url}/webhooks/rest/webhook", json={"sender": sender, "message": text}, timeout=60)
    answer.raise_for_status()
    return "\n".join(item.get("text", "") for item in answer.json())


def first_reply_is_at_once_and_claims_nothing(reply: str, stack: Settings, hotline: str = "119") -> str:
    """The hotline, the duty phone and the ticket number, with 正在通知 and no 已通知; the number."""
    assert hotline in reply and stack.duty_phone in reply and "正在通知" in reply
    assert "已通知" not in reply and "已经通知" not in reply
    return number_in(reply)


def later_bot_texts(stack: Settings, sender: str) -> List[str]:
    """What the bot said in ``sender``'s conversation, in order (a REST client reads its later messages here)."""
    tracker = httpx.get(f"{stack.rasa_url}/conversations/{sender}/tracker", params=api_params(stack), timeout=30)
    tracker.raise_for_status()
    return [event.get("text") or "" for event in tracker.json()["events"] if event["event"] == "bot"]


def follow_ups(texts_of, *, timeout: float = 40, settle: float = 3) -> List[str]:
    """The follow-ups (reached or not) among ``texts_of()``, once one came and ``settle`` seconds more passed,
    so a second one would be seen too."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if [text for text in texts_of() if is_follow_up(text)]:
            time.sleep(settle)
            break
        time.sleep(0.2)
    return [text for text in texts_of() if is_follow_up(text)]


def ticket_alerts(stack: Settings, admin: Dict[str, str], number: str) -> List[dict]:
    response = httpx.get(f"{stack.staff_url}/api/tickets/{number}/alerts", headers=admin)
    assert response.status_code == 200, response.text
    return response.json()


def number_in(reply: str) -> str:
    """The ticket number the resident was told (GD20261207-0001)."""
    return re.search(r"GD\d{8}-\d{4}", reply).group(0)


def alerts_about(gateway: FakeGateway, number: str, count: int, timeout: float = 40) -> List[dict]:
    deadline = time.monotonic() + timeout
    while True:
        found = [alert for alert in gateway.accepted if number in alert["text"]]
        if len(found) >= count or time.monotonic() > deadline:
            return found
        time.sleep(0.2)


def group_messages(telegram: FakeBotApi, number: str, count: int, timeout: float = 40) -> List[str]:
    """The duty group's messages about ticket ``number``, once there are ``count`` (or time is up)."""
    deadline = time.monotonic() + timeout
    while True:
        found = [text for text in telegram.sent_texts(DUTY_GROUP) if number in text]
        if len(found) >= count or time.monotonic() > deadline:
            return found
        time.sleep(0.2)


def test_an_emergency_alerts_the_person_on_duty_who_acknowledges_it(stack, admin, gateway, telegram):
    set_roster(stack, admin, ROSTER)
    sender = f"e2e-{uuid.uuid4().hex[:12]}"
    number = first_reply_is_at_once_and_claims_nothing(report(stack, "厨房着火了", sender), stack)
    [sent] = alerts_about(gateway, number, 1)
    assert sent["to"] == "13800000001"
    [sms] = [alert for alert in ticket_alerts(stack, admin, number) if alert["route"] == "gateway"]
    assert sms["state"] == "delivered"
    posted = group_messages(telegram, number, 1)[0]
    assert "厨房着火了" in posted and "确认收到" in posted
    # The resident hears, once, whom the alarm reached.
    [told] = follow_ups(lambda: later_bot_texts(stack, sender))
    assert told.startswith(f"{REACHED} wang") and number in told
    acked = httpx.post(f"{stack.staff_url}/api/alerts/{sms['id']}/ack", headers=admin)
    assert acked.status_code == 200, acked.text
    states = {(alert["route"], alert["state"]) for alert in ticket_alerts(stack, admin, number)}
    assert states == {("console", "acknowledged"), ("gateway", "acknowledged"), ("duty_group", "acknowledged")}
    assert follow_ups(lambda: later_bot_texts(stack, sender), timeout=0, settle=1) == [told]


def test_a_telegram_resident_gets_the_ticket_at_once_and_then_once_whom_the_alarm_reached(stack, admin, telegram):
    set_roster(stack, admin, ROSTER)
    chat_id = int(uuid.uuid4().int % 10**9) + 10**9
    update = {
        "update_id": chat_id,
        "message": {
            "message_id": 1,
            "date": int(time.time()),
            "chat": {"id": chat_id, "type": "private", "first_name": "王阿姨"},
            "from": {"id": chat_id, "is_bot": False, "first_name": "王阿姨"},
            "text": "楼道里着火了",
        },
    }
    posted = httpx.post(
        f"{stack.rasa_url}/webhooks/telegram/webhook",
        json=update,
        headers={"X-Telegram-Bot-Api-Secret-Token": TELEGRAM_SECRET},
        timeout=60,
    )
    assert posted.status_code == 200
    [told] = follow_ups(lambda: telegram.sent_texts(chat_id))
    *first, last = telegram.sent_texts(chat_id)
    assert last == told  # after the first reply, not before it
    number = first_reply_is_at_once_and_claims_nothing("\n".join(first), stack)
    assert told.startswith(f"{REACHED} wang") and number in told


def test_nobody_acknowledging_escalates_to_the_next_person_on_duty(stack, admin, gateway, telegram):
    set_roster(stack, admin, ROSTER)
    reply = report(stack, "厨房着火了")
    number = number_in(reply)
    first, second = alerts_about(gateway, number, 2)
    assert (first["to"], second["to"]) == ("13800000001", "13800000002")
    assert "第2次通知" in second["text"]
    assert "第2次通知" in group_messages(telegram, number, 2)[1]
    routes = [(alert["route"], alert["state"], alert["level"]) for alert in ticket_alerts(stack, admin, number)]
    assert ("gateway", "escalated", 0) in routes
    # Someone answers at last: the escalation stops there.
    [console] = [alert for alert in ticket_alerts(stack, admin, number) if alert["route"] == "console"]
    assert httpx.post(f"{stack.staff_url}/api/alerts/{console['id']}/ack", headers=admin).status_code == 200
    assert console["level"] >= 1


def test_when_no_alert_can_be_delivered_the_resident_is_told_to_call_the_duty_phone(stack, admin, telegram, wechat_api):
    set_roster(stack, admin, [])  # no one to text or call, no console open,
    telegram.stop()  # and the duty group's chat cannot be reached (the last test of this module)
    platform = WeChatPlatform(f"{stack.rasa_url}/webhooks/wechat/webhook", WECHAT["token"], None)
    openid = f"o{uuid.uuid4().hex[:27]}"
    xml = message_xml(openid, "text", {"Content": "厨房着火了"}, msg_id=platform.new_msg_id())
    passive = platform.reply(platform.post(xml)) or {}
    [told] = follow_ups(lambda: wechat_api.texts_to(openid))
    *sent, last = wechat_api.texts_to(openid)
    assert last == told  # after the first reply, not before it
    number = first_reply_is_at_once_and_claims_nothing("\n".join([passive.get("Content") or "", *sent]), stack)
    assert told.startswith(f"{NOT_REACHED}，请直接拨打") and stack.duty_phone in told and number in told
    # The emergency is stored for staff all the same.
    assert [t.number for t in TicketService(stack.database_url).tickets_of(openid)] == [number]
