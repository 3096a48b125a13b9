"""An emergency reaches a person on duty, on the real stack: a resident writes over REST, the SMS/call
gateway and the duty group's Telegram chat (both faked at the HTTP level) get the alert, staff
acknowledge through the API; nobody acknowledging escalates to the next person; nothing able to
deliver → the resident is told to call."""

from __future__ import annotations

import re
import time
import uuid
from typing import Dict, Iterator, List

import httpx
import pytest

from bot.channels import replies
from bot.settings import Settings
from tests.channels.fake_telegram import FakeBotApi
from tests.live import running_assistant, settings_for
from tests.staff.fake_gateway import FakeGateway
from tickets.service import TicketService

ADMIN = ("admin", "e2e-admin-密码")
DUTY_GROUP = -1001234567
ROSTER = [{"username": "wang", "phone": "13800000001"}, {"username": "li", "phone": "13800000002"}]


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
def stack(tmp_path_factory, gateway, telegram) -> Iterator[Settings]:
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
        alert_duty_group=f"telegram:{DUTY_GROUP}",
        alert_escalate_minutes=0.2,  # twelve seconds instead of three minutes
        # The default is 2 s; deliveries take well under a second, but this machine is shared.
        alert_confirm_seconds=5,
        turn_timeout_seconds=15,  # so that the turn still waits out the longer confirmation
        action_timeout_seconds=20,
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
    reply = report(stack, "厨房着火了")
    assert "119" in reply
    assert "已经通知社区值班人员" in reply
    number = number_in(reply)
    [sent] = alerts_about(gateway, number, 1)
    assert sent["to"] == "13800000001"
    [sms] = [alert for alert in ticket_alerts(stack, admin, number) if alert["route"] == "gateway"]
    assert sms["state"] == "delivered"
    posted = group_messages(telegram, number, 1)[0]
    assert "厨房着火了" in posted and "确认收到" in posted
    acked = httpx.post(f"{stack.staff_url}/api/alerts/{sms['id']}/ack", headers=admin)
    assert acked.status_code == 200, acked.text
    states = {(alert["route"], alert["state"]) for alert in ticket_alerts(stack, admin, number)}
    assert states == {("console", "acknowledged"), ("gateway", "acknowledged"), ("duty_group", "acknowledged")}


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


def test_when_no_alert_can_be_delivered_the_resident_is_told_to_call_the_duty_phone(stack, admin, telegram):
    set_roster(stack, admin, [])  # no one to text or call, no console open,
    telegram.stop()  # and the duty group's chat cannot be reached (the last test of this module)
    sender = f"e2e-{uuid.uuid4().hex[:12]}"
    reply = report(stack, "厨房着火了", sender)
    assert "119" in reply
    assert "已经通知" not in reply
    # Told plainly to call the duty phone: by the alarm's own answer, or, when the REST channel answers
    # an emergency turn still waiting for a delivery (after HOTLINE_WAIT_SECONDS), by its note for it.
    assert (
        "还没有联系上值班人员" in reply or replies.EMERGENCY_LATE.split("，")[0] in reply
    ) and stack.duty_phone in reply
    # The emergency is stored for staff all the same.
    store, deadline = TicketService(stack.database_url), time.monotonic() + 30
    while not [t for t in store.tickets_of(sender) if t.kind.value == "emergency"] and time.monotonic() < deadline:
        time.sleep(0.2)
    assert [t for t in store.tickets_of(sender) if t.kind.value == "emergency"]
