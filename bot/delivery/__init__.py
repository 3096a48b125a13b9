"""Shared state of the messaging channels: processed messages, access tokens, the outbox.

It lives in the database at DATABASE_URL (its own tables, its own metadata), so every
process serving a channel sees the same state; it knows nothing about tickets.
"""

from bot.delivery.db import ensure_schema
from bot.delivery.outbox import OutboxItem, pending_messages

__all__ = ["OutboxItem", "ensure_schema", "pending_messages"]
