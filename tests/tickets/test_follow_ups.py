"""The follow-up after an emergency's first reply, on both databases: decided once from the alarm's
deliveries or the lack of them (never both), handed over once, picked up again when cut short."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import insert

from tickets.accounts import AccountService
from tickets.alert_models import AlertRoute, FollowUpOutcome
from tickets.alerts import AlertPolicy, DutyAlerts, DutyMemberIn
from tickets.db import MIGRATIONS, get_engine
from tickets.follow_ups import LEASE, LOOK_BACK, EmergencyFollowUps
from tickets.models import Ticket, TicketKind
from tickets.schemas import TicketCreate
from tickets.service import TicketService

CONFIRM = timedelta(seconds=10)


@pytest.fixture
def accounts(tickets, clock) -> AccountService:
    service = AccountService(tickets.database_url, ensure_schema=tickets.ensure_schema, clock=clock)
    service.create_user("wang", "password-123", display_name="王明")
    service.create_user("li", "password-123", display_name="李芳")
    return service


@pytest.fixture
def alerts(tickets, accounts) -> DutyAlerts:
    duty = DutyAlerts(tickets, AlertPolicy(gateway=True, duty_group="telegram:-1001"))
    duty.set_roster([DutyMemberIn(username="wang", phone="13800000001")])
    return duty


@pytest.fixture
def follow_ups(tickets) -> EmergencyFollowUps:
    return EmergencyFollowUps(tickets, CONFIRM)


def fire(alerts: DutyAlerts, sender: str = "r1") -> str:
    data = TicketCreate(kind=TicketKind.emergency, title="紧急求助：厨房着火了", sender_id=sender, channel="telegram")
    return alerts.open_emergency(data).ticket.number


def deliver(alerts: DutyAlerts, route: AlertRoute) -> None:
    [work] = [work for work in alerts.claim_due() if work.route is route]
    alerts.mark_delivered(work.id)


def test_a_delivered_alert_is_told_once_with_the_name_of_whom_it_reached(alerts, follow_ups, clock):
    number = fire(alerts)
    assert follow_ups.due() == []  # nothing delivered yet, and still time
    deliver(alerts, AlertRoute.gateway)
    [follow_up] = follow_ups.due()
    assert (follow_up.ticket_number, follow_up.sender_id, follow_up.channel) == (number, "r1", "telegram")
    assert (follow_up.outcome, follow_up.reached) == (FollowUpOutcome.reached, "王明")
    follow_ups.told(follow_up, outbox_id=7)
    clock.now += LEASE + CONFIRM
    assert follow_ups.due() == []


def test_nothing_delivered_in_time_says_not_reached_and_a_late_delivery_changes_nothing(alerts, follow_ups, clock):
    fire(alerts)
    clock.now += CONFIRM - timedelta(seconds=1)
    assert follow_ups.due() == []
    clock.now += timedelta(seconds=1)
    [follow_up] = follow_ups.due()
    assert (follow_up.outcome, follow_up.reached) == (FollowUpOutcome.not_reached, None)
    follow_ups.told(follow_up, outbox_id=8)
    deliver(alerts, AlertRoute.gateway)
    clock.now += LEASE
    assert follow_ups.due() == []  # never both


def test_the_duty_group_alone_reached_is_nobody_by_name(alerts, follow_ups):
    fire(alerts)
    deliver(alerts, AlertRoute.duty_group)
    [follow_up] = follow_ups.due()
    assert (follow_up.outcome, follow_up.reached) == (FollowUpOutcome.reached, None)


def test_who_acknowledged_is_named_before_whom_an_alert_was_for(alerts, follow_ups, accounts):
    number = fire(alerts)
    deliver(alerts, AlertRoute.gateway)
    li = next(user for user in accounts.users() if user.username == "li")
    [console] = [view for view in alerts.alerts_of(number) if view.route is AlertRoute.console]
    alerts.acknowledge(console.id, li)
    [follow_up] = follow_ups.due()
    assert follow_up.reached == "李芳"


def test_a_handover_cut_short_is_picked_up_again_after_its_lease_with_the_same_outcome(alerts, follow_ups, clock):
    fire(alerts)
    clock.now += CONFIRM
    [first] = follow_ups.due()  # … and the staff service stops before telling the store
    deliver(alerts, AlertRoute.gateway)
    assert follow_ups.due() == []  # leased
    clock.now += LEASE
    [again] = follow_ups.due()
    assert again == first and again.outcome is FollowUpOutcome.not_reached
    assert follow_ups.due() == []  # leased again


def test_an_emergency_nobody_decided_about_for_long_gets_no_late_follow_up(alerts, follow_ups, clock):
    fire(alerts)
    clock.now += LOOK_BACK + timedelta(seconds=1)
    assert follow_ups.due() == []


def test_emergencies_from_before_follow_ups_get_none(sqlite_url):
    """They were answered inside their turn: upgrading must not send their residents a late message."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", sqlite_url)
    with get_engine(sqlite_url).begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0004")
    now = datetime.now(timezone.utc)
    with get_engine(sqlite_url).begin() as connection:
        connection.execute(
            insert(Ticket.__table__).values(
                number="GD20261207-0001",
                kind=TicketKind.emergency.value,
                status="new",
                category="other",
                department="社区值班",
                priority=0,
                title="紧急求助：厨房着火了",
                description="",
                channel="rest",
                sender_id="r-old",
                transcript=[],
                deadline=now,
                created_at=now,
                updated_at=now,
            )
        )
    follow_ups = EmergencyFollowUps(TicketService(sqlite_url), timedelta(0))  # migrates to the newest
    assert follow_ups.due() == []
