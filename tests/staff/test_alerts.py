"""The duty alarm in the staff service: delivery through a gateway faked at the HTTP level, the
console's alarms, acknowledging (audited), the roster API."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from bot.delivery import outbox
from bot.delivery.proactive import CHANNEL, ProactiveSender
from bot.staff.alert_gateway import HttpAlertGateway
from bot.staff.alerting import AlertDispatcher, follow_up_sender
from bot.staff.app import create_app
from bot.staff.emergency_follow_up import follow_up_text
from tests.staff.conftest import bearer, staff_settings
from tests.staff.fake_gateway import FakeGateway
from tickets.accounts import AccountService
from tickets.alert_models import AlertRoute, AlertState
from tickets.alerts import AlertPolicy, DutyAlerts, DutyMemberIn
from tickets.follow_ups import LEASE, EmergencyFollowUps
from tickets.models import StaffRole, TicketKind
from tickets.schemas import TicketCreate
from tickets.service import TicketService

FIRE = TicketCreate(kind=TicketKind.emergency, title="紧急求助：厨房着火了", sender_id="r1", address="3栋2单元501")


@pytest.fixture
def store(sqlite_url, clock) -> TicketService:
    return TicketService(sqlite_url, clock=clock)


def duty(store: TicketService, policy: AlertPolicy) -> DutyAlerts:
    accounts = AccountService(store.database_url, ensure_schema=store.ensure_schema)
    for name in ("wang", "li"):
        accounts.create_user(name, "password-123")
    alerts = DutyAlerts(store, policy)
    alerts.set_roster(
        [DutyMemberIn(username="wang", phone="13800000001"), DutyMemberIn(username="li", phone="13800000002")]
    )
    return alerts


def dispatcher(alerts: DutyAlerts, gateway: FakeGateway, settings) -> AlertDispatcher:
    return AlertDispatcher(alerts, ProactiveSender(settings), HttpAlertGateway(gateway.url, gateway.token))


def state_of(alerts: DutyAlerts, number: str, route: AlertRoute) -> list:
    return [view.state for view in alerts.alerts_of(number) if view.route is route]


def test_the_gateway_gets_the_alert_and_the_next_person_after_the_wait(store, clock, sqlite_url, tmp_path):
    alerts = duty(store, AlertPolicy(gateway=True))
    with FakeGateway() as gateway:
        deliver = dispatcher(alerts, gateway, staff_settings(sqlite_url, tmp_path))
        number = alerts.open_emergency(FIRE).ticket.number
        asyncio.run(deliver.run_once())
        [sent] = gateway.accepted
        assert sent["to"] == "13800000001" and number in sent["text"] and "3栋2单元501" in sent["text"]
        assert sent["reference"].startswith("alert-")
        assert state_of(alerts, number, AlertRoute.gateway) == [AlertState.delivered]
        assert alerts.delivered_any(number)
        clock.now += timedelta(minutes=3)
        asyncio.run(deliver.run_once())
        assert [alert["to"] for alert in gateway.accepted] == ["13800000001", "13800000002"]
        assert "第2次通知" in gateway.accepted[1]["text"]
        assert state_of(alerts, number, AlertRoute.gateway) == [AlertState.escalated, AlertState.delivered]


@pytest.mark.parametrize(("status", "state"), [(503, AlertState.pending), (400, AlertState.failed)])
def test_a_gateway_error_is_retried_a_refusal_is_final(store, sqlite_url, tmp_path, status, state):
    alerts = duty(store, AlertPolicy(gateway=True))
    with FakeGateway(status=status) as gateway:
        number = alerts.open_emergency(FIRE).ticket.number
        asyncio.run(dispatcher(alerts, gateway, staff_settings(sqlite_url, tmp_path)).run_once())
        assert len(gateway.refused) == 1 and gateway.accepted == []
    assert state_of(alerts, number, AlertRoute.gateway) == [state]
    assert not alerts.delivered_any(number)


def test_a_wrong_gateway_token_is_not_a_delivery(store, sqlite_url, tmp_path):
    alerts = duty(store, AlertPolicy(gateway=True))
    with FakeGateway() as gateway:
        number = alerts.open_emergency(FIRE).ticket.number
        deliver = AlertDispatcher(
            alerts, ProactiveSender(staff_settings(sqlite_url, tmp_path)), HttpAlertGateway(gateway.url, "wrong")
        )
        asyncio.run(deliver.run_once())
    assert state_of(alerts, number, AlertRoute.gateway) == [AlertState.failed]


def test_a_duty_group_message_rasa_did_not_take_is_not_a_delivery(store, sqlite_url, tmp_path):
    """Rasa is down (staff_settings): the message waits in the outbox, the alert stays pending."""
    alerts = duty(store, AlertPolicy(duty_group="telegram:-1001"))
    number = alerts.open_emergency(FIRE).ticket.number
    with FakeGateway() as gateway:
        asyncio.run(dispatcher(alerts, gateway, staff_settings(sqlite_url, tmp_path)).run_once())
    [group] = [view for view in alerts.alerts_of(number) if view.route is AlertRoute.duty_group]
    assert group.state is AlertState.pending and group.last_error
    assert not alerts.delivered_any(number)


def follow_ups_to(database_url: str, resident: str) -> list:
    """The texts stored in the outbox for ``resident`` (Rasa is down: they wait there, retried)."""
    return [item.body["events"][-1]["text"] for item in outbox.messages_to(database_url, CHANNEL, resident)]


def test_the_resident_is_told_once_whom_the_alarm_reached_even_across_a_restart(store, clock, sqlite_url, tmp_path):
    alerts = duty(store, AlertPolicy(gateway=True))
    settings = staff_settings(sqlite_url, tmp_path)
    with FakeGateway() as gateway:
        number = alerts.open_emergency(FIRE).ticket.number
        for _ in range(2):  # the second round is a restarted staff service
            sender = ProactiveSender(settings)
            gateway_client = HttpAlertGateway(gateway.url, gateway.token)
            deliver = AlertDispatcher(alerts, sender, gateway_client, follow_up_sender(settings, store, sender))
            asyncio.run(deliver.run_once())
            clock.now += LEASE
    [told] = follow_ups_to(sqlite_url, "r1")
    assert told.startswith("已通知值班人员 wang") and number in told and settings.duty_phone in told


def test_a_follow_up_stored_before_a_stop_is_not_stored_again(store, clock, sqlite_url, tmp_path):
    """Stopped after the outbox took the message, before the store heard of it: the next round finds
    it again, and the outbox knows it by its key."""
    alerts = duty(store, AlertPolicy(gateway=True))
    settings = staff_settings(sqlite_url, tmp_path)
    number = alerts.open_emergency(FIRE).ticket.number
    follow_ups = EmergencyFollowUps(store, timedelta(seconds=settings.alert_confirm_seconds))
    clock.now += timedelta(seconds=settings.alert_confirm_seconds)  # and nothing was delivered
    [cut_short] = follow_ups.due()
    text = follow_up_text(cut_short, settings.duty_phone)
    asyncio.run(ProactiveSender(settings).send("r1", "rest", text, key=cut_short.outbox_key))
    clock.now += LEASE
    asyncio.run(follow_up_sender(settings, store, ProactiveSender(settings)).run_once())
    [told] = follow_ups_to(sqlite_url, "r1")
    assert told.startswith("值班人员暂时没有回应，请直接拨打") and number in told
    clock.now += LEASE
    assert follow_ups.due() == []


@pytest.fixture
def client(sqlite_url, tmp_path):
    with TestClient(create_app(staff_settings(sqlite_url, tmp_path))) as client:
        yield client


def test_console_pages_get_the_open_alarms_and_staff_acknowledge_them(client, sqlite_url):
    admin = bearer(client)
    assert client.get("/api/alerts").status_code == 401
    store = TicketService(sqlite_url)
    number = DutyAlerts(store).open_emergency(FIRE).ticket.number
    [alarm] = client.get("/api/alerts", headers=admin).json()
    assert (alarm["ticket_number"], alarm["state"], alarm["address"]) == (number, "delivered", "3栋2单元501")
    assert client.post("/api/alerts/999/ack", headers=admin).status_code == 404
    acked = client.post(f"/api/alerts/{alarm['id']}/ack", headers=admin)
    assert acked.status_code == 200
    assert [(a["state"], a["acknowledged_by"]) for a in acked.json()] == [("acknowledged", "admin")]
    assert client.get("/api/alerts", headers=admin).json() == []
    audit = client.get("/api/audit", headers=admin).json()
    assert any(entry["action"] == "alert_ack" and entry["ticket_number"] == number for entry in audit)


def test_a_long_poll_answers_when_the_open_alarms_change(client, sqlite_url):
    admin = bearer(client)
    alerts = DutyAlerts(TicketService(sqlite_url))
    alerts.open_emergency(FIRE)
    [seen] = client.get("/api/alerts?wait=5", headers=admin).json()  # differs from nothing shown: at once
    # What the page shows is still all there is: the poll waits its full time and answers the same.
    assert [a["id"] for a in client.get(f"/api/alerts?shown={seen['id']}&wait=1", headers=admin).json()] == [seen["id"]]
    second = alerts.open_emergency(FIRE).ticket.number
    again = client.get(f"/api/alerts?shown={seen['id']}&wait=20", headers=admin).json()
    assert [a["ticket_number"] for a in again][1:] == [second]
    assert client.get("/api/alerts?shown=1;drop&wait=0", headers=admin).status_code == 422


def test_only_admins_set_the_roster_and_only_known_accounts(client, sqlite_url):
    admin = bearer(client)
    store = TicketService(sqlite_url)
    AccountService(sqlite_url, ensure_schema=store.ensure_schema).create_user(
        "li", "password-123", role=StaffRole.staff
    )
    staff = bearer(client, "li", "password-123")
    roster = [{"username": "li", "phone": "13800000002", "channel": "telegram", "address": "501"}]
    assert client.put("/api/duty-roster", json=roster, headers=staff).status_code == 403
    assert (
        client.put("/api/duty-roster", json=[{"username": "ghost", "phone": "13800000009"}], headers=admin).status_code
        == 422
    )
    assert (
        client.put("/api/duty-roster", json=[{"username": "li", "phone": "call me"}], headers=admin).status_code == 422
    )
    saved = client.put("/api/duty-roster", json=roster, headers=admin)
    assert saved.status_code == 200
    assert client.get("/api/duty-roster", headers=staff).json() == [{**roster[0], "position": 1, "display_name": "li"}]
