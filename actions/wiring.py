"""The real services behind the actions, built on first use and shared in the process.

The action server builds actions without arguments, so each action resolves
these lazily; tests hand their own services to the constructors instead.
"""

from __future__ import annotations

from functools import lru_cache

from bot.settings import Settings, get_settings
from policy_kb.retrieval import BM25KnowledgeBase, KnowledgeBase
from tickets.service import TicketService


@lru_cache(maxsize=1)
def ticket_service() -> TicketService:
    service = TicketService(get_settings().database_url)
    service.ensure_schema()
    return service


@lru_cache(maxsize=1)
def knowledge_base() -> KnowledgeBase:
    return BM25KnowledgeBase()


def settings() -> Settings:
    return get_settings()
