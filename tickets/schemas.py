"""What goes into the ticket store and what comes out, apart from the tables."""

from __future__ import annotations

from datetime import datetime
from typing import List, Optional

from pydantic import BaseModel, Field, validator

from tickets.models import PostKind, PostStatus, TicketKind, TicketStatus


class TranscriptLine(BaseModel):
    role: str = Field(..., regex="^(resident|bot|staff)$")
    text: str
    at: Optional[datetime] = None


class TicketCreate(BaseModel):
    """A ticket as an action hands it over; routing fills department and deadline."""

    kind: TicketKind
    title: str = Field(..., min_length=1, max_length=200)
    description: str = ""
    category: Optional[str] = None
    address: Optional[str] = None
    channel: str = "rest"
    sender_id: str = Field(..., min_length=1)
    contact_name: Optional[str] = None
    contact_phone: Optional[str] = None
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
    address: Optional[str]
    channel: str
    deadline: datetime
    created_at: datetime
    latest_reply: Optional[str] = None

    class Config:
        orm_mode = True


class BookingCreate(BaseModel):
    service_id: str
    service_name: str
    scheduled_at: datetime
    at_home: bool = False
    address: Optional[str] = None
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
    address: Optional[str]
    status: TicketStatus


class PostCreate(BaseModel):
    kind: PostKind
    content: str = Field(..., min_length=2)
    when_text: Optional[str] = None
    contact_preference: Optional[str] = None
    contact_phone: Optional[str] = None
    channel: str = "rest"
    sender_id: str


class PostPublic(BaseModel):
    """A post as neighbours see it: no phone number, no sender."""

    id: int
    kind: PostKind
    status: PostStatus
    content: str
    when_text: Optional[str]
    created_at: datetime

    class Config:
        orm_mode = True


class FeedbackCreate(BaseModel):
    sender_id: str
    channel: str = "rest"
    rating: Optional[int] = Field(None, ge=1, le=5)
    comment: Optional[str] = None


class FeedbackPublic(BaseModel):
    rating: Optional[int]
    comment: Optional[str]
    ticket_number: Optional[str]
