"""What goes into the ticket store and what comes out, apart from the tables."""

from __future__ import annotations

from datetime import datetime
from typing import List

from pydantic import BaseModel, Field, validator

from bot.nlp.redact import redact
from tickets.models import PostKind, PostStatus, TicketKind, TicketStatus


class TranscriptLine(BaseModel):
    role: str = Field(..., regex="^(resident|bot|staff)$")
    text: str
    at: datetime | None = None


class TicketCreate(BaseModel):
    """A ticket as an action hands it over; routing fills department and deadline."""

    kind: TicketKind
    title: str = Field(..., min_length=1, max_length=200)
    description: str = ""
    category: str | None = None
    address: str | None = None
    channel: str = "rest"
    sender_id: str = Field(..., min_length=1)
    contact_name: str | None = None
    contact_phone: str | None = None
    transcript: List[TranscriptLine] = Field(default_factory=list)

    @validator("title")
    def _shorten(cls, title: str) -> str:
        return title.strip()[:200]


class TicketPublic(BaseModel):
    number: str
    kind: TicketKind
    status: TicketStatus
    category: str
    department: str
    priority: int
    title: str
    description: str
    address: str | None
    channel: str
    deadline: datetime
    created_at: datetime
    latest_reply: str | None = None
    merged_into_number: str | None = None  # the ticket a duplicate was merged into; the resident follows it

    class Config:
        orm_mode = True


class BookingCreate(BaseModel):
    service_id: str
    service_name: str
    scheduled_at: datetime
    at_home: bool = False
    address: str | None = None
    channel: str = "rest"
    sender_id: str
    contact_phone: str
    transcript: List[TranscriptLine] = Field(default_factory=list)

    @validator("scheduled_at")
    def _aware(cls, value: datetime) -> datetime:
        if value.tzinfo is None:
            raise ValueError("scheduled_at must carry a time zone")
        return value


class BookingPublic(BaseModel):
    number: str
    service_id: str
    service_name: str
    scheduled_at: datetime
    at_home: bool
    address: str | None
    status: TicketStatus


class PostCreate(BaseModel):
    kind: PostKind
    content: str = Field(..., min_length=2)
    when_text: str | None = None
    contact_preference: str | None = None
    contact_phone: str | None = None
    channel: str = "rest"
    sender_id: str


class PostPublic(BaseModel):
    """A post as neighbours see it: no phone number, no sender, and its text without the phone
    numbers, names and flat numbers a resident may have typed into it (staff see it in full)."""

    id: int
    kind: PostKind
    status: PostStatus
    content: str
    when_text: str | None
    created_at: datetime

    _scrubbed = validator("content", "when_text", allow_reuse=True)(lambda text: text and redact(text))

    class Config:
        orm_mode = True


class EvidenceCreate(BaseModel):
    """A photo (by the channel's URL or file reference) or a shared location."""

    kind: str = Field(..., regex="^(image|location)$")
    url: str | None = Field(None, max_length=500)
    latitude: float | None = Field(None, ge=-90, le=90)
    longitude: float | None = Field(None, ge=-180, le=180)
    label: str | None = Field(None, max_length=200)


class FeedbackCreate(BaseModel):
    sender_id: str
    channel: str = "rest"
    rating: int | None = Field(None, ge=1, le=5)
    comment: str | None = None
    ticket_number: str | None = None  # the ticket whose rating was asked for, when one was


class FeedbackPublic(BaseModel):
    rating: int | None
    comment: str | None
    ticket_number: str | None


class UnansweredQuestionPublic(BaseModel):
    """A question residents asked that the catalogue could not answer well, for staff."""

    question: str
    count: int
    candidates: List[str]
    first_seen: datetime
    last_seen: datetime

    class Config:
        orm_mode = True
