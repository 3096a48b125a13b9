"""The real services behind the actions, built on first use and shared in the process.

The action server builds actions without arguments, so each action resolves
these lazily; tests hand their own services to the constructors instead.
"""

from __future__ import annotations

import logging
import threading
from functools import lru_cache

from bot.settings import Settings, get_settings
from bot.staff.alerting import alert_policy
from policy_kb.reloading import ReloadingKnowledgeBase
from policy_kb.retrieval import KnowledgeBase
from tickets.alerts import DutyAlerts
from tickets.service import TicketService

logger = logging.getLogger(__name__)


@lru_cache(maxsize=1)
def ticket_service() -> TicketService:
    service = TicketService(get_settings().database_url)
    service.ensure_schema()
    return service


@lru_cache(maxsize=1)
def knowledge_base() -> KnowledgeBase:
    """Follows staff edits of the catalogue without a restart (see :mod:`policy_kb.reloading`)."""
    return ReloadingKnowledgeBase()


def duty_alerts(tickets: TicketService) -> DutyAlerts:
    """The duty alarm on ``tickets``, routed as the settings say (the staff service delivers it)."""
    return DutyAlerts(tickets, alert_policy(get_settings()))


def settings() -> Settings:
    return get_settings()


def warm_up_in_background() -> None:
    """Build the knowledge base while the server starts, not on a resident's first question
    (a build takes seconds: jieba, the catalogue, BM25)."""

    def build() -> None:
        try:
            knowledge_base()
        except Exception:  # the first question will try again and report it
            logger.exception("could not build the knowledge base in advance")

    threading.Thread(target=build, name="knowledge-base-warm-up", daemon=True).start()
