"""Delivers the duty alarm, in the staff service's background loop.

Each round escalates what nobody acknowledged in time, then delivers the alerts that are due:
the duty group and a person's own chat through :class:`ProactiveSender` (its outbox retries a
failed message; the alert follows that message until it went out), a phone through the
:class:`AlertGateway` (retried here with backoff, given up after a few refusals). The console
route needs no delivery: the console pages fetch their alarms (:mod:`bot.staff.alerts_api`).
Last, residents whose alarm reached someone (or did not in time) are told so
(:mod:`bot.staff.emergency_follow_up`).
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timedelta

from bot.delivery import outbox
from bot.delivery.proactive import ProactiveSender
from bot.settings import Settings
from bot.staff.alert_gateway import AlertGateway, GatewayError, HttpAlertGateway
from bot.staff.emergency_follow_up import FollowUpSender
from tickets.alert_models import AlertRoute
from tickets.alerts import MAX_GATEWAY_ATTEMPTS, AlertPolicy, AlertWork, DutyAlerts
from tickets.follow_ups import EmergencyFollowUps
from tickets.service import TicketService

logger = logging.getLogger(__name__)

ROUND_SECONDS = 0.5  # the resident waits to hear that the alarm reached someone: rounds must be quick
ESCALATE_CHECK = timedelta(seconds=5)  # escalation counts in minutes: no need to look every round
OUTBOX_CHECK = timedelta(seconds=2)
FIRST_BACKOFF = timedelta(seconds=5)


def alert_policy(settings: Settings) -> AlertPolicy:
    return AlertPolicy(
        gateway=bool(settings.alert_gateway_url),
        duty_group=settings.alert_duty_group,
        escalate_after=timedelta(minutes=settings.alert_escalate_minutes),
    )


def follow_up_sender(settings: Settings, tickets: TicketService, sender: ProactiveSender) -> FollowUpSender:
    follow_ups = EmergencyFollowUps(tickets, timedelta(seconds=settings.alert_confirm_seconds))
    return FollowUpSender(follow_ups, sender, settings.duty_phone)


def gateway_of(settings: Settings) -> AlertGateway | None:
    if not settings.alert_gateway_url:
        logger.info("ALERT_GATEWAY_URL is not set: emergencies are not sent by SMS or call")
        return None
    return HttpAlertGateway(settings.alert_gateway_url, settings.alert_gateway_token)


def alarm_text(work: AlertWork) -> str:
    """What the people on duty read: short, the ticket number, where, what to do."""
    where = f"\n地址：{work.address}" if work.address else ""
    again = f"（第{work.level + 1}次通知：之前的值班人员没有确认）" if work.level else ""
    return f"【紧急求助】{again}工单 {work.ticket_number}\n{work.title}{where}\n请马上处理，并在工作台点“确认收到”。"


class AlertDispatcher:
    def __init__(
        self,
        alerts: DutyAlerts,
        sender: ProactiveSender,
        gateway: AlertGateway | None,
        follow_up: FollowUpSender | None = None,
    ) -> None:
        self.alerts = alerts
        self.sender = sender
        self.gateway = gateway
        self.follow_up = follow_up
        self._escalation_checked: datetime | None = None

    async def run_once(self) -> None:
        """One round: escalate (every few seconds), deliver what is due, tell residents the outcome."""
        now = self.alerts.clock()
        if self._escalation_checked is None or now - self._escalation_checked >= ESCALATE_CHECK:
            self._escalation_checked = now
            await asyncio.to_thread(self.alerts.escalate_due)
        for work in await asyncio.to_thread(self.alerts.claim_due):
            try:
                await self._deliver(work)
            except Exception:  # one alert's failure must not stop the others; it is tried again
                logger.exception("alert %s: delivery round failed", work.id)
        if self.follow_up is not None:
            await self.follow_up.run_once()

    async def keep_running(self, every: float = ROUND_SECONDS) -> None:
        while True:
            try:
                await self.run_once()
            except Exception:  # the loop must outlive a database hiccup; the next round tries again
                logger.exception("alert round failed")
            await asyncio.sleep(every)

    async def _deliver(self, work: AlertWork) -> None:
        if work.route is AlertRoute.gateway:
            await self._by_gateway(work)
        else:
            await self._by_chat(work)

    async def _by_gateway(self, work: AlertWork) -> None:
        if self.gateway is None:
            await asyncio.to_thread(self.alerts.mark_failed, work.id, "no gateway configured")
            return
        try:
            await self.gateway.notify(work.target, alarm_text(work), f"alert-{work.id}")
        except GatewayError as exc:
            logger.warning("alert %s: the gateway refused (%s), attempt %d", work.id, exc, work.attempts)
            if exc.permanent or work.attempts >= MAX_GATEWAY_ATTEMPTS:
                await asyncio.to_thread(self.alerts.mark_failed, work.id, str(exc))
            else:
                after = FIRST_BACKOFF * 2 ** (work.attempts - 1)
                await asyncio.to_thread(self.alerts.check_again, work.id, error=str(exc), after=after)
            return
        await asyncio.to_thread(self.alerts.mark_delivered, work.id)

    async def _by_chat(self, work: AlertWork) -> None:
        """Sent once through the outbox; later rounds only look at whether it went out."""
        if work.outbox_id is None:
            channel, _, address = work.target.partition(":")
            delivery = await self.sender.send(address, channel, alarm_text(work))
            status, outbox_id, error = delivery.status, delivery.id, delivery.last_error
        else:
            known = await asyncio.to_thread(self.sender.deliveries, [work.outbox_id])
            item = known.get(work.outbox_id)
            status, outbox_id, error = (item.status, item.id, item.last_error) if item else ("lost", None, "lost")
        if status == outbox.SENT:
            await asyncio.to_thread(self.alerts.mark_delivered, work.id, outbox_id=outbox_id)
        elif status == outbox.PENDING or outbox_id is None:
            await asyncio.to_thread(self.alerts.mark_failed, work.id, f"out of reach: {error}")
        else:
            await asyncio.to_thread(
                self.alerts.check_again, work.id, error=error or status, after=OUTBOX_CHECK, outbox_id=outbox_id
            )
