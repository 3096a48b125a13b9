"""Staff API for keeping the catalogue current: check an edited catalogue, see what residents asked in vain.

The action server (another process) follows the catalogue files by itself (see
:mod:`policy_kb.reloading`), so "reload" here checks the files and tells staff whether the bot
will switch to them or keep its previous version, and why.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import List

from fastapi import APIRouter, Depends, HTTPException, Query
from pydantic import BaseModel

from bot.staff.auth import StaffAuth
from policy_kb.catalogue import CATALOGUE_DIR, load_catalogue
from policy_kb.reloading import CHECK_EVERY_SECONDS
from tickets.errors import TicketStoreUnavailable
from tickets.schemas import UnansweredQuestionPublic
from tickets.service import TicketService

logger = logging.getLogger(__name__)


class Problem(BaseModel):
    file: str
    field: str
    message: str


class CatalogueCheck(BaseModel):
    ok: bool
    entries: int
    problems: List[Problem]
    detail: str


class UnansweredList(BaseModel):
    questions: List[UnansweredQuestionPublic]


def catalogue_router(auth: StaffAuth, store: TicketService, folder: Path = CATALOGUE_DIR) -> APIRouter:
    """Checking the catalogue is for admins; the unanswered questions are for every handler."""
    router = APIRouter(prefix="/api/catalogue")

    @router.post("/reload", response_model=CatalogueCheck, dependencies=[Depends(auth.admin)])
    def reload_catalogue() -> CatalogueCheck:
        """Checks the catalogue files; a valid version reaches the bot within a few seconds."""
        catalogue = load_catalogue(folder)
        entries, problems = len(catalogue.entries), len(catalogue.problems)
        if problems:
            detail = f"目录有 {problems} 处问题，小助手继续使用上一版；改好后请再次重新加载。"
        else:
            detail = f"目录有效，共 {entries} 条；小助手会在 {CHECK_EVERY_SECONDS:.0f} 秒内换用这一版。"
        logger.info("catalogue checked by staff: %d entries, %d problems", entries, problems)
        return CatalogueCheck(
            ok=not problems,
            entries=entries,
            problems=[Problem(file=p.file, field=p.field, message=p.message) for p in catalogue.problems],
            detail=detail,
        )

    @router.get("/unanswered", response_model=UnansweredList, dependencies=[Depends(auth.anyone)])
    def unanswered(limit: int = Query(50, ge=1, le=500)) -> UnansweredList:
        """Questions answered below the confidence threshold, most asked first: what to add next."""
        try:
            return UnansweredList(questions=store.unanswered_questions(limit=limit))
        except TicketStoreUnavailable as exc:
            raise HTTPException(status_code=503, detail="ticket store unavailable") from exc

    return router
