"""One resident's data in the staff API (admins only): what is kept, a full export, erasure.

A resident is the sender id of their channel (shown on each of their tickets). The export and the
erasure are written to the audit log under a reference to the resident, not the id itself.
Erasing asks for the id a second time in the body, so a slip of the mouse erases nobody.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any, Dict

from fastapi import APIRouter, Depends, HTTPException, Path, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from bot.privacy import erase_resident
from bot.staff.auth import StaffAuth
from bot.staff.privacy import PrivacyJobs
from tickets.accounts import StaffIdentity
from tickets.errors import TicketStoreUnavailable
from tickets.privacy import Erasure, KeptData, ResidentData

logger = logging.getLogger(__name__)

SENDER_ID = Path(..., min_length=1, max_length=128)


class EraseForm(BaseModel):
    confirm: str = Field(..., min_length=1, max_length=128, description="the sender id once more")


class ErasureResult(Erasure):
    conversation_emptied: bool


def residents_router(auth: StaffAuth, data: ResidentData, jobs: PrivacyJobs) -> APIRouter:
    router = APIRouter(prefix="/api/residents")
    admin = Depends(auth.admin)

    def client_of(request: Request) -> str | None:
        return request.client.host if request.client else None

    @router.get("/{sender_id}", response_model=KeptData)
    def kept(sender_id: str = SENDER_ID, _: StaffIdentity = admin) -> KeptData:
        """Counts and masked contacts, as the resident sees them in the chat."""
        try:
            return data.kept(sender_id)
        except TicketStoreUnavailable as exc:
            raise HTTPException(status_code=503, detail="工单库暂时不可用") from exc

    @router.get("/{sender_id}/export")
    def export(request: Request, sender_id: str = SENDER_ID, who: StaffIdentity = admin) -> JSONResponse:
        """Everything kept about the resident, in full (a download)."""
        try:
            exported: Dict[str, Any] = data.export(sender_id, actor=who.username, client=client_of(request))
        except TicketStoreUnavailable as exc:
            raise HTTPException(status_code=503, detail="工单库暂时不可用") from exc
        return JSONResponse(
            exported,
            headers={"Content-Disposition": 'attachment; filename="resident-data.json"', "Cache-Control": "no-store"},
        )

    @router.post("/{sender_id}/erase", response_model=ErasureResult)
    async def erase(
        form: EraseForm, request: Request, sender_id: str = SENDER_ID, who: StaffIdentity = admin
    ) -> ErasureResult:
        """Anonymise the resident's tickets, posts and feedback, forget messages to them, empty their
        conversation (now if Rasa answers, else by the background loop)."""
        if form.confirm != sender_id:
            raise HTTPException(status_code=422, detail="请再输入一遍同一个居民编号来确认")
        try:
            erasure = await asyncio.to_thread(
                erase_resident, data, sender_id, actor=who.username, client=client_of(request)
            )
        except TicketStoreUnavailable as exc:
            raise HTTPException(status_code=503, detail="工单库暂时不可用") from exc
        emptied = await jobs.empty_conversation(sender_id)
        logger.info("resident data erased from the console by %s", who.username)
        return ErasureResult(**erasure.dict(), conversation_emptied=emptied)

    return router
