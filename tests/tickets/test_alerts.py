"""The duty alarm's store on both databases: alerts with the ticket, escalation by a settable clock,
acknowledging, the roster."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from tickets.accounts import AccountService
from tickets.alert_models import AlertRoute, AlertState
from tickets.alerts import AlertPolicy, DutyAlerts, DutyMemberIn
from tickets.db import session_scope
from tickets.models import AuditEntry, Ticket, TicketEvent, TicketKind, TicketStatus
from tickets.schemas import TicketCreate

POLICY = AlertPolicy(gateway=True, duty_group="telegram:-1001", escalate_after=timedelta(minutes=3))


@pytest.fixture
def accounts(tickets, clock) -> AccountService:
    service = AccountService(tickets.database_url, ensure_schema=tickets.ensure_schema, clock=clock)
    for name in ("wang", "li", "zhao"):
        service.create_user(name, "password-123", display_name=name)
    return service


@pytest.fixture
def alerts(tickets, accounts) -> DutyAlerts:
    duty = DutyAlerts(tickets, POLICY)
    duty.set_roster(
        [
            DutyMemberIn(username="wang", phone="13800000001", channel="telegram", address="501"),
            DutyMemberIn(username="li", phone="13800000002"),
            DutyMemberIn(username="zhao", phone="13800000003"),
        ]
    )
    return duty


def fire(alerts: DutyAlerts) -> str:
    opened = alerts.open_emergency(
        TicketCreate(kind=TicketKind.emergency, title="紧急求助：厨房着火了", sender_id="r1", address="3栋2单元501")
    )
    return opened.ticket.number


def routes(views, state=None):
    return sorted((view.route.value, view.target, view.level) for view in views if state is None or view.state is state)


def test_an_emergency_is_stored_with_its_alarm_for_the_first_person_on_duty(alerts):
    number = fire(alerts)
    views = alerts.alerts_of(number)
    assert routes(views) == [
        ("console", "console", 0),
        ("duty_group", "telegram:-1001", 0),
        ("gateway", "13800000001", 0),
        ("personal", "telegram:501", 0),
    ]
    assert {view.state for view in views} == {AlertState.pending}
    assert not alerts.delivered_any(number)


def test_without_gateway_duty_group_or_roster_only_the_console_is_alarmed(tickets):
    number = fire(DutyAlerts(tickets, AlertPolicy()))
    assert routes(DutyAlerts(tickets).alerts_of(number)) == [("console", "console", 0)]


def test_only_an_emergency_raises_the_alarm(alerts):
    with pytest.raises(ValueError):
        alerts.open_emergency(TicketCreate(kind=TicketKind.complaint, title="吵", sender_id="r1"))


def test_nobody_acknowledging_escalates_down_the_roster_and_round_again(alerts, clock):
    number = fire(alerts)
    clock.now += timedelta(minutes=2, seconds=59)
    assert alerts.escalate_due() == []
    clock.now += timedelta(seconds=1)
    assert len(alerts.escalate_due()) == 2  # li's phone and a reminder to the duty group
    views = alerts.alerts_of(number)
    assert routes(views, AlertState.escalated) == [
        ("duty_group", "telegram:-1001", 0),
        ("gateway", "13800000001", 0),
        ("personal", "telegram:501", 0),
    ]
    assert routes(views, AlertState.pending) == [
        ("console", "console", 1),
        ("duty_group", "telegram:-1001", 1),
        ("gateway", "13800000002", 1),
    ]
    assert alerts.escalate_due() == []  # the clock starts again for li
    clock.now += timedelta(minutes=3)
    alerts.escalate_due()
    assert ("gateway", "13800000003", 2) in routes(alerts.alerts_of(number), AlertState.pending)
    clock.now += timedelta(minutes=3)
    alerts.escalate_due()
    assert ("gateway", "13800000001", 3) in routes(alerts.alerts_of(number), AlertState.pending)


def test_acknowledging_stops_the_alarm_and_is_audited(alerts, accounts, clock):
    number = fire(alerts)
    [gateway] = [view for view in alerts.alerts_of(number) if view.route is AlertRoute.gateway]
    alerts.mark_delivered(gateway.id)
    li = next(user for user in accounts.users() if user.username == "li")
    clock.now += timedelta(minutes=1)
    views = alerts.acknowledge(gateway.id, li, client="127.0.0.1")
    assert {view.state for view in views} == {AlertState.acknowledged}
    assert {view.acknowledged_by for view in views} == {"li"}
    assert alerts.console_alarms() == []
    clock.now += timedelta(minutes=10)
    assert alerts.escalate_due() == []
    with session_scope(alerts.tickets.database_url) as session:
        audit = session.execute(select(AuditEntry.actor, AuditEntry.action, AuditEntry.detail)).all()
        history = session.execute(select(TicketEvent.type, TicketEvent.actor)).all()
    assert ("li", "alert_ack", {"alert": gateway.id}) in audit
    assert ("alert_acknowledged", "staff:li") in history


def test_an_emergency_staff_finished_raises_no_more_alarms(alerts, tickets, clock):
    number = fire(alerts)
    with session_scope(tickets.database_url) as session:
        session.execute(update(Ticket).where(Ticket.number == number).values(status=TicketStatus.resolved))
    assert alerts.console_alarms() == []
    clock.now += timedelta(minutes=10)
    assert alerts.escalate_due() == []


def test_a_person_is_reached_only_when_a_reaching_route_took_the_alert(alerts):
    number = fire(alerts)
    [console] = alerts.console_alarms()  # a console page showed it: nobody is known to have seen it
    assert console.ticket_number == number and console.title == "紧急求助：厨房着火了"
    assert not alerts.delivered_any(number)
    [work] = [work for work in alerts.claim_due() if work.route is AlertRoute.gateway]
    alerts.mark_delivered(work.id)
    assert alerts.delivered_any(number)


def test_an_alert_is_leased_to_one_deliverer_at_a_time(alerts, clock):
    fire(alerts)
    first = alerts.claim_due()
    assert {work.route for work in first} == {AlertRoute.duty_group, AlertRoute.gateway, AlertRoute.personal}
    assert alerts.claim_due() == []
    clock.now += timedelta(minutes=1)  # the deliverer died: the lease ran out
    again = alerts.claim_due()
    assert sorted(work.id for work in again) == sorted(work.id for work in first)
    assert {work.attempts for work in again} == {2}


def test_a_refused_alert_is_tried_again_after_its_backoff_then_failed(alerts, clock):
    fire(alerts)
    [work] = [work for work in alerts.claim_due() if work.route is AlertRoute.gateway]
    alerts.check_again(work.id, error="HTTP 503", after=timedelta(seconds=5))
    clock.now += timedelta(seconds=4)
    assert [w for w in alerts.claim_due() if w.id == work.id] == []
    clock.now += timedelta(seconds=1)
    assert [w.id for w in alerts.claim_due() if w.id == work.id] == [work.id]
    alerts.mark_failed(work.id, "HTTP 400")
    clock.now += timedelta(minutes=1)
    assert [w for w in alerts.claim_due() if w.id == work.id] == []


def test_the_roster_keeps_its_order_and_only_knows_active_accounts(alerts):
    assert [member.username for member in alerts.roster()] == ["wang", "li", "zhao"]
    alerts.set_roster([DutyMemberIn(username="zhao", phone="13800000003")])
    assert [(m.position, m.username) for m in alerts.roster()] == [(1, "zhao")]
    with pytest.raises(ValueError, match="nobody"):
        alerts.set_roster([DutyMemberIn(username="nobody", phone="13800000009")])
    with pytest.raises(ValueError):
        alerts.set_roster([DutyMemberIn(username="li", phone="13800000002", channel="telegram")])
    assert [m.username for m in alerts.roster()] == ["zhao"]
