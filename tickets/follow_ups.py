"""What a resident hears after an emergency's first reply: whether the duty alarm reached someone.

The first reply comes at once, inside the turn (hotline, duty phone, ticket number, "正在通知值班
人员"). This second message follows outside it, through the proactive sender: "已通知值班人员 X" as
soon as an alert reached a person on duty, or "请直接拨打值班电话" when none did within
``confirm_after``. The outcome is stored before anything is sent, so the resident never hears both;
one decided but not handed over (the staff service stopped in between) is picked up again after a
short lease, and the outbox knows it by its key, so it is never sent twice.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import List

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from tickets.alert_models import EmergencyFollowUp, FollowUpOutcome
from tickets.alerts import reached_on_duty
from tickets.models import Ticket, TicketKind
from tickets.service import TicketService

logger = logging.getLogger(__name__)

LEASE = timedelta(seconds=30)  # a deliverer that stopped mid-handover gives the follow-up back after this
# An emergency nobody decided about for this long (the staff service was down) gets no late message:
# its first reply already gave the duty phone.
LOOK_BACK = timedelta(hours=1)


@dataclass(frozen=True)
class FollowUp:
    """One follow-up to hand over: to whom, on which channel, and what to say."""

    ticket_id: int
    ticket_number: str
    sender_id: str
    channel: str
    outcome: FollowUpOutcome
    reached: str | None  # whom the alarm reached; None: the duty group

    @property
    def outbox_key(self) -> str:
        return f"emergency-follow-up:{self.ticket_number}"


def _follow_up(row: EmergencyFollowUp, ticket: Ticket) -> FollowUp:
    return FollowUp(ticket.id, ticket.number, ticket.sender_id, ticket.channel, row.outcome, row.reached)


class EmergencyFollowUps:
    """Decides and records the follow-ups; each call one transaction on the ticket store."""

    def __init__(self, tickets: TicketService, confirm_after: timedelta) -> None:
        self.tickets = tickets
        self.confirm_after = confirm_after

    def due(self) -> List[FollowUp]:
        """Follow-ups to hand over now, leased to the caller: those whose handover was cut short,
        then emergencies whose outcome is known from now on (reached, or out of time)."""
        now = self.tickets.clock()
        with self.tickets._session() as session:
            return self._unfinished(session, now) + self._decide(session, now)

    def told(self, follow_up: FollowUp, outbox_id: int) -> None:
        """Handed to the outbox, which sends it (and retries) from here on."""
        with self.tickets._session() as session:
            session.execute(
                update(EmergencyFollowUp)
                .where(EmergencyFollowUp.ticket_id == follow_up.ticket_id, EmergencyFollowUp.told_at.is_(None))
                .values(told_at=self.tickets.clock(), outbox_id=outbox_id)
            )
        logger.info("emergency %s: the resident is told (%s)", follow_up.ticket_number, follow_up.outcome.value)

    def _unfinished(self, session: Session, now: datetime) -> List[FollowUp]:
        rows = session.execute(
            select(EmergencyFollowUp, Ticket)
            .join(Ticket, Ticket.id == EmergencyFollowUp.ticket_id)
            .where(EmergencyFollowUp.told_at.is_(None), EmergencyFollowUp.next_try_at <= now)
            .order_by(EmergencyFollowUp.ticket_id)
        ).all()
        leased: List[FollowUp] = []
        for row, ticket in rows:
            won = session.execute(
                update(EmergencyFollowUp)
                .where(EmergencyFollowUp.ticket_id == row.ticket_id, EmergencyFollowUp.attempts == row.attempts)
                .values(attempts=row.attempts + 1, next_try_at=now + LEASE)
                .execution_options(synchronize_session=False)
            ).rowcount
            if won:
                logger.warning("emergency %s: handing its follow-up over again", ticket.number)
                leased.append(_follow_up(row, ticket))
        return leased

    def _decide(self, session: Session, now: datetime) -> List[FollowUp]:
        undecided = (
            session.execute(
                select(Ticket)
                .outerjoin(EmergencyFollowUp, EmergencyFollowUp.ticket_id == Ticket.id)
                .where(
                    Ticket.kind == TicketKind.emergency,
                    Ticket.created_at >= now - LOOK_BACK,
                    EmergencyFollowUp.ticket_id.is_(None),
                )
                .order_by(Ticket.id)
            )
            .scalars()
            .all()
        )
        decided: List[FollowUp] = []
        for ticket in undecided:
            reached, whom = reached_on_duty(session, ticket.id)
            if reached:
                outcome = FollowUpOutcome.reached
            elif now >= ticket.created_at + self.confirm_after:
                outcome = FollowUpOutcome.not_reached
            else:
                continue
            row = EmergencyFollowUp(
                ticket_id=ticket.id, outcome=outcome, reached=whom, decided_at=now, next_try_at=now + LEASE, attempts=1
            )
            try:
                with session.begin_nested():
                    session.add(row)
            except IntegrityError:  # another deliverer decided it first, and hands it over
                continue
            if outcome is FollowUpOutcome.not_reached:
                logger.error(
                    "emergency %s: nobody on duty reached in time: the resident is told to call", ticket.number
                )
            decided.append(_follow_up(row, ticket))
        return decided
