"""The duty alarm in the staff API: the console's open alarms, acknowledging, the duty roster.

``GET /api/alerts`` is what every console page polls; ``wait`` seconds make it a long poll that
answers as soon as the open alarms differ from the ones the page ``shown`` (a new emergency, or
one acknowledged elsewhere), so every page raises or clears an alarm within a second.
Acknowledging is audited and stops the escalation.
"""

from __future__ import annotations

import asyncio
import logging
from typing import List

from fastapi import APIRouter, Depends, HTTPException, Query, Request

from bot.staff.auth import StaffAuth
from tickets.accounts import StaffIdentity
from tickets.alerts import AlertView, DutyAlerts, DutyMemberIn, DutyMemberView
from tickets.errors import TicketNotFound, TicketStoreUnavailable

logger = logging.getLogger(__name__)

LONG_POLL_STEP_SECONDS = 0.5


def alerts_router(auth: StaffAuth, alerts: DutyAlerts) -> APIRouter:
    router = APIRouter(prefix="/api")
    handler = Depends(auth.handler)

    def open_alarms() -> List[AlertView]:
        try:
            return alerts.console_alarms()
        except TicketStoreUnavailable as exc:
            raise HTTPException(status_code=503, detail="工单库暂时不可用") from exc

    @router.get("/alerts", response_model=List[AlertView])
    async def alarms(
        shown: str = Query("", max_length=2000, regex=r"^[0-9,]*$"),
        wait: float = Query(0, ge=0, le=25),
        _: StaffIdentity = handler,
    ) -> List[AlertView]:
        """The emergencies nobody has acknowledged yet, oldest first."""
        known = {int(part) for part in shown.split(",") if part}
        deadline = asyncio.get_running_loop().time() + wait
        while True:
            found = await asyncio.to_thread(open_alarms)
            if {alarm.id for alarm in found} != known or asyncio.get_running_loop().time() >= deadline:
                return found
            await asyncio.sleep(LONG_POLL_STEP_SECONDS)

    @router.post("/alerts/{alert_id}/ack", response_model=List[AlertView])
    def acknowledge(alert_id: int, request: Request, who: StaffIdentity = handler) -> List[AlertView]:
        """``who`` takes the emergency on: its alarm stops everywhere, nobody else is escalated to."""
        client = request.client.host if request.client else None
        try:
            return alerts.acknowledge(alert_id, who, client=client)
        except TicketNotFound as exc:
            raise HTTPException(status_code=404, detail="没有这条警报") from exc
        except TicketStoreUnavailable as exc:
            raise HTTPException(status_code=503, detail="工单库暂时不可用") from exc

    @router.get("/tickets/{number}/alerts", response_model=List[AlertView])
    def alerts_of_ticket(number: str, _: StaffIdentity = handler) -> List[AlertView]:
        """Where an emergency's alarm went, and what became of it."""
        try:
            return alerts.alerts_of(number)
        except TicketNotFound as exc:
            raise HTTPException(status_code=404, detail="没有这个工单") from exc

    @router.get("/duty-roster", response_model=List[DutyMemberView])
    def roster(_: StaffIdentity = handler) -> List[DutyMemberView]:
        return alerts.roster()

    @router.put("/duty-roster", response_model=List[DutyMemberView])
    def set_roster(members: List[DutyMemberIn], who: StaffIdentity = Depends(auth.admin)) -> List[DutyMemberView]:
        """The whole roster in alerting order (admins only)."""
        try:
            updated = alerts.set_roster(members)
        except ValueError as exc:
            raise HTTPException(status_code=422, detail=str(exc)) from exc
        logger.info("duty roster changed by %s", who.username)
        return updated

    return router
