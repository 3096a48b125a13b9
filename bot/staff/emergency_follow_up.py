"""Tells a resident, after an emergency's first reply, whether the duty alarm reached someone.

Runs in the alarm's loop (:mod:`bot.staff.alerting`), right after the round's deliveries, so a
delivery is told within a round. What is decided and when: :mod:`tickets.follow_ups`.
"""

from __future__ import annotations

import asyncio
import logging

from bot.delivery.proactive import ProactiveSender
from bot.staff import notices
from tickets.alert_models import FollowUpOutcome
from tickets.follow_ups import EmergencyFollowUps, FollowUp

logger = logging.getLogger(__name__)


def follow_up_text(follow_up: FollowUp, duty_phone: str) -> str:
    if follow_up.outcome is FollowUpOutcome.reached:
        return notices.emergency_reached(follow_up.ticket_number, follow_up.reached, duty_phone)
    return notices.emergency_not_reached(follow_up.ticket_number, duty_phone)


class FollowUpSender:
    def __init__(self, follow_ups: EmergencyFollowUps, sender: ProactiveSender, duty_phone: str) -> None:
        self.follow_ups = follow_ups
        self.sender = sender
        self.duty_phone = duty_phone

    async def run_once(self) -> None:
        """Hands every due follow-up to the outbox (which retries until the channel took it)."""
        for follow_up in await asyncio.to_thread(self.follow_ups.due):
            try:
                delivery = await self.sender.send(
                    follow_up.sender_id,
                    follow_up.channel,
                    follow_up_text(follow_up, self.duty_phone),
                    key=follow_up.outbox_key,
                )
                await asyncio.to_thread(self.follow_ups.told, follow_up, delivery.id)
            except Exception:  # its lease runs out and a later round hands it over again
                logger.exception("emergency %s: the follow-up was not handed over", follow_up.ticket_number)
