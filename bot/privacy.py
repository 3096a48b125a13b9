"""Erasing a resident everywhere the assistant keeps them, for the chat and the staff console alike.

The ticket store anonymises their tickets, posts and feedback and queues their Rasa conversation
(:mod:`tickets.privacy`); the channels' shared state forgets the messages to them and the options
last shown to them. The conversation itself is emptied by the staff service's loop
(:mod:`bot.staff.privacy`): the action server cannot empty the conversation it is answering in.
"""

from __future__ import annotations

import logging

from bot.delivery.options import forget_options
from bot.delivery.outbox import forget_recipient
from tickets.privacy import Erasure, ResidentData

logger = logging.getLogger(__name__)


def erase_resident(data: ResidentData, sender_id: str, *, actor: str, client: str | None = None) -> Erasure:
    """Safe to repeat: what was erased stays erased, and what is left is erased again."""
    erasure = data.erase(sender_id, actor=actor, client=client)
    database_url = data.tickets.database_url
    messages = forget_recipient(database_url, sender_id)
    forget_options(database_url, sender_id)
    logger.info("erasure %s: %d outgoing messages forgotten", erasure.anonymous_id, messages)
    return erasure
