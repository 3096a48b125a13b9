"""The duty alarm: an emergency ticket alerts the people on duty, and escalates until one answers.

The ticket and its first alerts are written in one transaction, so an emergency is never stored
without its alarm. Every alert is one route to one target: the console (every open console
page), the duty group's chat, and, per person on the duty roster, an SMS or call through the
gateway and their own chat. The staff service's background loop delivers them
(:mod:`bot.staff.alerting`). Nobody acknowledges within ``escalate_after`` → the next person on
the roster is alerted (after the last, the first again), with a reminder to the duty group,
until someone acknowledges. The console alert of a ticket stays open until then and carries
the ticket's escalation level and clock.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import List, Sequence

from pydantic import BaseModel, Field
from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from tickets import repository as repo
from tickets.accounts import StaffIdentity
from tickets.alert_models import Alert, AlertRoute, AlertState, DutyMember
from tickets.errors import TicketNotFound
from tickets.models import AuditEntry, StaffUser, Ticket, TicketKind
from tickets.schemas import TicketCreate, TicketPublic
from tickets.service import TicketService

logger = logging.getLogger(__name__)

OPEN_STATES = (AlertState.pending, AlertState.delivered)
# Routes that reach a person: a delivery on one of them makes "已通知值班人员" true.
REACHING_ROUTES = (AlertRoute.duty_group, AlertRoute.gateway, AlertRoute.personal)
LEASE = timedelta(seconds=30)  # a deliverer that died mid-send gives the alert back after this
MAX_GATEWAY_ATTEMPTS = 5


@dataclass(frozen=True)
class AlertPolicy:
    """Which routes exist besides the console: a gateway, a duty group ("telegram:<chat id>")."""

    gateway: bool = False
    duty_group: str | None = None
    escalate_after: timedelta = timedelta(minutes=3)


@dataclass(frozen=True)
class EmergencyOpened:
    ticket: TicketPublic
    alert_ids: List[int]


@dataclass(frozen=True)
class AlertWork:
    """An alert leased to a deliverer, with what the message must say."""

    id: int
    route: AlertRoute
    target: str
    level: int
    attempts: int
    outbox_id: int | None
    ticket_number: str
    title: str
    address: str | None


class AlertView(BaseModel):
    id: int
    ticket_number: str
    title: str
    address: str | None
    route: AlertRoute
    state: AlertState
    level: int
    target: str
    staff_username: str | None
    attempts: int
    last_error: str | None
    created_at: datetime
    delivered_at: datetime | None
    acknowledged_at: datetime | None
    acknowledged_by: str | None
    escalated_at: datetime | None


class DutyMemberIn(BaseModel):
    username: str = Field(..., min_length=1, max_length=80)
    phone: str = Field(..., regex=r"^\+?[0-9][0-9 -]{4,28}$")
    channel: str | None = Field(None, regex=r"^(wechat|telegram)$")
    address: str | None = Field(None, min_length=1, max_length=128)


class DutyMemberView(DutyMemberIn):
    position: int
    display_name: str


def _view(alert: Alert, ticket: Ticket) -> AlertView:
    return AlertView(
        id=alert.id,
        ticket_number=ticket.number,
        title=ticket.title,
        address=ticket.address,
        route=alert.route,
        state=alert.state,
        level=alert.level,
        target=alert.target,
        staff_username=alert.staff_username,
        attempts=alert.attempts,
        last_error=alert.last_error,
        created_at=alert.created_at,
        delivered_at=alert.delivered_at,
        acknowledged_at=alert.acknowledged_at,
        acknowledged_by=alert.acknowledged_by,
        escalated_at=alert.escalated_at,
    )


def reached_on_duty(session: Session, ticket_id: int) -> tuple[bool, str | None]:
    """Whether an alert reached someone on duty (a reaching route accepted it, or it was acknowledged),
    and whom: who acknowledged, else the person a delivered alert was for (their name), else nobody
    in particular (the duty group)."""
    alerts = (
        session.execute(
            select(Alert)
            .where(
                Alert.ticket_id == ticket_id,
                (Alert.state == AlertState.acknowledged)
                | (Alert.route.in_(REACHING_ROUTES) & Alert.delivered_at.is_not(None)),
            )
            .order_by(Alert.id)
        )
        .scalars()
        .all()
    )
    if not alerts:
        return False, None
    acknowledged = [alert.acknowledged_by for alert in alerts if alert.acknowledged_by]
    personal = [alert.staff_username for alert in alerts if alert.delivered_at and alert.staff_username]
    username = (acknowledged or personal or [None])[0]
    if username is None:
        return True, None
    name = session.execute(select(StaffUser.display_name).where(StaffUser.username == username)).scalar_one_or_none()
    return True, name or username


class DutyAlerts:
    """Alerts and the duty roster; each call one transaction on the ticket store."""

    def __init__(self, tickets: TicketService, policy: AlertPolicy | None = None) -> None:
        self.tickets = tickets
        self.policy = policy or AlertPolicy()

    def _session(self):  # type: ignore[no-untyped-def]
        return self.tickets._session()

    @property
    def clock(self):  # type: ignore[no-untyped-def]
        return self.tickets.clock

    # The emergency ---------------------------------------------------------------------------

    def open_emergency(self, data: TicketCreate) -> EmergencyOpened:
        """The urgent ticket with its alarm: the console, the duty group, the first person on duty."""
        if data.kind is not TicketKind.emergency:
            raise ValueError("only an emergency raises the duty alarm")
        now = self.clock()
        with self._session() as session:
            ticket = self.tickets._new_ticket(session, data, now=now)
            alerts = [Alert(ticket_id=ticket.id, route=AlertRoute.console, target="console", level=0)]
            alerts += self._level_alerts(session, ticket.id, 0)
            for alert in alerts:
                alert.created_at = alert.next_attempt_at = now
                alert.state, alert.attempts = AlertState.pending, 0
            session.add_all(alerts)
            session.flush()
            opened = EmergencyOpened(TicketPublic.from_orm(ticket), [alert.id for alert in alerts])
        logger.info("emergency %s opened with %d alerts", opened.ticket.number, len(opened.alert_ids))
        return opened

    def _level_alerts(self, session: Session, ticket_id: int, level: int) -> List[Alert]:
        """The alerts of one escalation level: the duty group, and the roster's person at that place."""
        alerts: List[Alert] = []
        if self.policy.duty_group:
            alerts.append(
                Alert(ticket_id=ticket_id, route=AlertRoute.duty_group, target=self.policy.duty_group, level=level)
            )
        roster = session.execute(
            select(DutyMember, StaffUser.username).join(DutyMember.user).order_by(DutyMember.position)
        ).all()
        if not roster:
            logger.warning("the duty roster is empty: nobody can be alerted in person")
            return alerts
        member, username = roster[level % len(roster)]
        if self.policy.gateway:
            alerts.append(
                Alert(
                    ticket_id=ticket_id,
                    route=AlertRoute.gateway,
                    target=member.phone,
                    staff_username=username,
                    level=level,
                )
            )
        else:
            logger.info("no SMS/call gateway configured: the phone route is skipped")
        if member.channel and member.address:
            alerts.append(
                Alert(
                    ticket_id=ticket_id,
                    route=AlertRoute.personal,
                    target=f"{member.channel}:{member.address}",
                    staff_username=username,
                    level=level,
                )
            )
        return alerts

    def delivered_any(self, ticket_number: str) -> bool:
        """Whether a person on duty was reached (see :func:`reached_on_duty`)."""
        with self._session() as session:
            ticket_id = session.execute(select(Ticket.id).where(Ticket.number == ticket_number)).scalar_one()
            return reached_on_duty(session, ticket_id)[0]

    # Delivering (the staff service's loop) ---------------------------------------------------

    def claim_due(self, limit: int = 20) -> List[AlertWork]:
        """Pending alerts of the delivering routes whose time has come, leased to the caller."""
        now = self.clock()
        with self._session() as session:
            rows = session.execute(
                select(Alert, Ticket)
                .join(Ticket, Ticket.id == Alert.ticket_id)
                .where(
                    Alert.state == AlertState.pending,
                    Alert.route != AlertRoute.console,
                    Alert.next_attempt_at <= now,
                )
                .order_by(Alert.id)
                .limit(limit)
            ).all()
            work: List[AlertWork] = []
            for alert, ticket in rows:
                won = session.execute(
                    update(Alert)
                    .where(Alert.id == alert.id, Alert.attempts == alert.attempts, Alert.state == AlertState.pending)
                    .values(attempts=alert.attempts + 1, next_attempt_at=now + LEASE)
                    .execution_options(synchronize_session=False)
                ).rowcount
                if won:
                    work.append(
                        AlertWork(
                            alert.id,
                            alert.route,
                            alert.target,
                            alert.level,
                            alert.attempts + 1,
                            alert.outbox_id,
                            ticket.number,
                            ticket.title,
                            ticket.address,
                        )
                    )
            return work

    def mark_delivered(self, alert_id: int, *, outbox_id: int | None = None) -> None:
        now = self.clock()
        with self._session() as session:
            values = {"state": AlertState.delivered, "delivered_at": now, "last_error": None}
            if outbox_id is not None:
                values["outbox_id"] = outbox_id
            session.execute(
                update(Alert).where(Alert.id == alert_id, Alert.state == AlertState.pending).values(**values)
            )
        logger.info("alert %s delivered", alert_id)

    def check_again(self, alert_id: int, *, error: str, after: timedelta, outbox_id: int | None = None) -> None:
        """Not delivered yet; tried (or its outbox message looked at) again after ``after``."""
        values = {"last_error": error[:200], "next_attempt_at": self.clock() + after}
        if outbox_id is not None:
            values["outbox_id"] = outbox_id
        with self._session() as session:
            session.execute(
                update(Alert).where(Alert.id == alert_id, Alert.state == AlertState.pending).values(**values)
            )

    def mark_failed(self, alert_id: int, error: str) -> None:
        with self._session() as session:
            session.execute(
                update(Alert)
                .where(Alert.id == alert_id, Alert.state == AlertState.pending)
                .values(state=AlertState.failed, last_error=error[:200])
            )
        logger.error("alert %s failed for good: %s", alert_id, error)

    def escalate_due(self) -> List[int]:
        """Alert the next person for every open emergency nobody acknowledged in time; the new alerts' ids.

        A ticket staff finished (resolved, referred, …) without acknowledging raises no more alarms.
        """
        now = self.clock()
        created: List[int] = []
        with self._session() as session:
            consoles = session.execute(
                select(Alert)
                .join(Ticket, Ticket.id == Alert.ticket_id)
                .where(
                    Alert.route == AlertRoute.console,
                    Alert.state.in_(OPEN_STATES),
                    Ticket.status.in_(repo.OPEN_STATUSES),
                )
            ).scalars()
            for console in list(consoles):
                since = console.escalated_at or console.created_at
                if now < since + self.policy.escalate_after:
                    continue
                session.execute(
                    update(Alert)
                    .where(
                        Alert.ticket_id == console.ticket_id,
                        Alert.route != AlertRoute.console,
                        Alert.state.in_(OPEN_STATES),
                    )
                    .values(state=AlertState.escalated, escalated_at=now)
                    .execution_options(synchronize_session=False)
                )
                console.level += 1
                console.escalated_at = now
                alerts = self._level_alerts(session, console.ticket_id, console.level)
                for alert in alerts:
                    alert.created_at = alert.next_attempt_at = now
                    alert.state, alert.attempts = AlertState.pending, 0
                session.add_all(alerts)
                session.flush()
                created += [alert.id for alert in alerts]
                logger.warning("emergency alert %s not acknowledged: escalated to level %d", console.id, console.level)
        return created

    # The console -----------------------------------------------------------------------------

    def console_alarms(self) -> List[AlertView]:
        """The alarms of open emergencies nobody acknowledged, oldest first; a page that fetches one
        has shown it (delivered)."""
        now = self.clock()
        with self._session() as session:
            rows = session.execute(
                select(Alert, Ticket)
                .join(Ticket, Ticket.id == Alert.ticket_id)
                .where(
                    Alert.route == AlertRoute.console,
                    Alert.state.in_(OPEN_STATES),
                    Ticket.status.in_(repo.OPEN_STATUSES),
                )
                .order_by(Alert.id)
            ).all()
            for alert, _ in rows:
                if alert.state is AlertState.pending:
                    alert.state, alert.delivered_at = AlertState.delivered, now
            return [_view(alert, ticket) for alert, ticket in rows]

    def acknowledge(self, alert_id: int, who: StaffIdentity, *, client: str | None = None) -> List[AlertView]:
        """``who`` is on it: every open alert of the emergency is acknowledged and escalation stops.

        Acknowledging an emergency someone already acknowledged changes nothing but is still
        audited. Returns all the ticket's alerts.
        """
        now = self.clock()
        with self._session() as session:
            alert = session.get(Alert, alert_id)
            if alert is None:
                raise TicketNotFound(f"alert {alert_id}")
            ticket = session.get(Ticket, alert.ticket_id)
            session.execute(
                update(Alert)
                .where(Alert.ticket_id == alert.ticket_id, Alert.state.in_(OPEN_STATES))
                .values(state=AlertState.acknowledged, acknowledged_at=now, acknowledged_by=who.username)
                .execution_options(synchronize_session=False)
            )
            session.add(
                AuditEntry(
                    at=now,
                    actor=who.username,
                    action="alert_ack",
                    ticket_id=ticket.id,
                    detail={"alert": alert_id},
                    client=client,
                )
            )
            repo.add_event(session, ticket=ticket, actor=f"staff:{who.username}", type="alert_acknowledged")
            session.flush()
            session.expire_all()
            views = self._views_of(session, ticket)
        logger.info("emergency %s acknowledged by %s", views[0].ticket_number if views else "?", who.username)
        return views

    def alerts_of(self, ticket_number: str) -> List[AlertView]:
        with self._session() as session:
            ticket = session.execute(select(Ticket).where(Ticket.number == ticket_number.upper())).scalar_one_or_none()
            if ticket is None:
                raise TicketNotFound(ticket_number)
            return self._views_of(session, ticket)

    @staticmethod
    def _views_of(session: Session, ticket: Ticket) -> List[AlertView]:
        alerts = session.execute(select(Alert).where(Alert.ticket_id == ticket.id).order_by(Alert.id)).scalars()
        return [_view(alert, ticket) for alert in alerts]

    # The roster ------------------------------------------------------------------------------

    def roster(self) -> List[DutyMemberView]:
        with self._session() as session:
            rows = session.execute(
                select(DutyMember, StaffUser).join(DutyMember.user).order_by(DutyMember.position)
            ).all()
            return [
                DutyMemberView(
                    position=member.position,
                    username=user.username,
                    display_name=user.display_name,
                    phone=member.phone,
                    channel=member.channel,
                    address=member.address,
                )
                for member, user in rows
            ]

    def set_roster(self, members: Sequence[DutyMemberIn]) -> List[DutyMemberView]:
        """Replace the roster with ``members`` in this order; an unknown or inactive account is a ValueError."""
        now = self.clock()
        with self._session() as session:
            users = {
                user.username: user
                for user in session.execute(select(StaffUser).where(StaffUser.active == 1)).scalars()
            }
            unknown = [member.username for member in members if member.username not in users]
            if unknown:
                raise ValueError(f"no such staff account: {', '.join(unknown)}")
            if any(bool(member.channel) != bool(member.address) for member in members):
                raise ValueError("give a chat address together with its channel")
            session.execute(delete(DutyMember))
            session.flush()
            for position, member in enumerate(members, start=1):
                session.add(
                    DutyMember(
                        position=position,
                        user_id=users[member.username].id,
                        phone=member.phone.strip(),
                        channel=member.channel,
                        address=member.address,
                        updated_at=now,
                    )
                )
        logger.info("duty roster set: %d people", len(members))
        return self.roster()
