"""What the staff console sees of tickets: masked in lists, in full only on a ticket's own page."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Dict, List

from pydantic import BaseModel, Field

from text.phones import mask_phone
from tickets.models import PostKind, PostStatus, TicketKind, TicketStatus


def mask_name(name: str | None) -> str | None:
    """张** / 欧阳**: the family name stays so staff can address the resident politely."""
    if not name:
        return name
    keep = 2 if len(name) >= 4 else 1
    return name[:keep] + "*" * max(1, len(name) - keep)


def masked_phone(phone: str | None) -> str | None:
    return mask_phone(phone) if phone else phone


class QueueFilter(BaseModel):
    status: List[TicketStatus] = Field(default_factory=list)
    kind: TicketKind | None = None
    category: str | None = None
    department: str | None = None
    grid: str | None = None
    channel: str | None = None
    search: str | None = Field(None, max_length=100)
    open_only: bool = True
    limit: int = Field(100, ge=1, le=500)


class TicketSummary(BaseModel):
    """A row of the queue: contact data masked."""

    number: str
    kind: TicketKind
    status: TicketStatus
    category: str
    department: str
    grid: str | None
    priority: int
    title: str
    address: str | None
    channel: str
    contact_name: str | None
    contact_phone: str | None
    assignee: str | None
    responsible: str | None
    deadline: datetime
    created_at: datetime
    overdue: bool
    seconds_left: int


class EventView(BaseModel):
    created_at: datetime
    actor: str
    type: str
    note: str | None
    data: Dict[str, Any] | None

    class Config:
        orm_mode = True


class AttachmentView(BaseModel):
    kind: str
    url: str | None
    latitude: float | None
    longitude: float | None
    label: str | None
    created_at: datetime

    class Config:
        orm_mode = True


class TicketDetail(TicketSummary):
    """A ticket's own page: full contact data (its viewing is audited), history, transcript."""

    description: str
    sender_id: str
    transcript: List[Dict[str, Any]]
    events: List[EventView]
    attachments: List[AttachmentView]
    resolution: str | None
    referred_to: str | None
    merged_into: str | None
    rating: int | None
    first_response_at: datetime | None
    resolved_at: datetime | None
    closed_at: datetime | None
    likely_duplicates: List[str]
    allowed_statuses: List[TicketStatus]
    booking_time: datetime | None = None


class Recipient(BaseModel):
    """Where a message to a ticket's resident goes: the conversation and the channel they used."""

    ticket_number: str
    conversation_id: str
    channel: str


class PostView(BaseModel):
    id: int
    kind: PostKind
    status: PostStatus
    content: str
    when_text: str | None
    contact_phone: str | None  # masked
    reject_reason: str | None
    created_at: datetime


class AuditView(BaseModel):
    at: datetime
    actor: str
    action: str
    ticket_number: str | None
    detail: Dict[str, Any] | None
    client: str | None
