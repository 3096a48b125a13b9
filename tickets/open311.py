"""Open311 GeoReport v2 on the ticket store: file civic requests and publish them without personal data.

Only complaints and suggestions are public civic requests; bookings, emergencies, handoffs and
legal requests concern one resident and are never published. What leaves this module is plain
pydantic models; the web layer (:mod:`bot.staff.open311`) only renders them as JSON or XML.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Dict, List, Literal, Sequence

from pydantic import BaseModel, Field, root_validator, validator
from pydantic.fields import ModelField
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from text.redact import redact
from tickets import repository as repo
from tickets.errors import TicketNotFound, TicketStoreError
from tickets.handling import building_of
from tickets.models import Ticket, TicketAttachment, TicketKind, TicketStatus
from tickets.routing import SHANGHAI, Route
from tickets.schemas import TicketCreate
from tickets.service import TicketService

logger = logging.getLogger(__name__)

CHANNEL = "open311"
PUBLIC_KINDS = (TicketKind.complaint, TicketKind.suggestion)
SUGGESTION_CODE = "suggestion"
COMPLAINT_GROUP = "投诉与报修"
SUGGESTION_GROUP = "居民建议"
MAX_RESULTS = 1000  # the standard's cap on one GET requests answer
DEFAULT_SPAN = timedelta(days=90)  # the standard's default window when no dates are given
TITLE_EXCERPT = 40


class UnknownServiceCode(TicketStoreError):
    """No service with this code can be filed here."""


def _name_variants(name: str | None) -> List[str]:
    """The name as residents write it about themselves: whole, by part, and a Chinese given name alone."""
    if not name or not name.strip():
        return []
    name = name.strip()
    variants = {name, *(part for part in name.split() if len(part) >= 2)}
    if not name.isascii() and " " not in name and len(name) >= 3:
        variants.add(name[1:])  # 张三丰 → 三丰
    return sorted(variants, key=len, reverse=True)


def scrub(text: str | None, names: Sequence[str | None] = ()) -> str | None:
    """Text fit for the public: what :func:`text.redact.redact` masks (phones, ID numbers,
    e-mail addresses, names the text introduces, flats below the building), and the given names
    wherever they occur. Ticket numbers (GD20261129-0007) stay readable: residents quote them."""
    if text is None:
        return None
    masked = redact(text)
    for variant in (variant for name in names for variant in _name_variants(name)):
        masked = masked.replace(variant, "*" * len(variant))
    return masked


def w3_datetime(value: datetime | None) -> str | None:
    """ISO 8601 as the w3 note wants it, always with the offset (Shanghai local time)."""
    if value is None:
        return None
    return value.astimezone(SHANGHAI).replace(microsecond=0).isoformat()


def _deadline_words(route: Route) -> str:
    if route.hours is not None:
        return f"{route.hours:g}小时"
    return f"{route.working_days or 1}个工作日"


class ServiceInfo(BaseModel):
    """One entry of GET services: the standard's fields, in its order."""

    service_code: str
    service_name: str
    description: str
    metadata: bool = False
    type: Literal["realtime", "batch", "blackbox"]
    keywords: str
    group: str


class ServiceDefinition(BaseModel):
    """GET services/{code}: no service here asks for extra attributes."""

    service_code: str
    attributes: List[dict] = Field(default_factory=list)


class RequestDraft(BaseModel):
    """A POSTed service request, checked; lengths follow the ticket columns so no database refuses it."""

    service_code: str = Field(..., min_length=1, max_length=60)
    lat: float | None = Field(None, ge=-90, le=90)
    long: float | None = Field(None, ge=-180, le=180)
    address_string: str | None = Field(None, max_length=200)
    address_id: str | None = Field(None, max_length=100)
    description: str = Field("", max_length=4000)  # the standard's limit
    media_url: str | None = Field(None, max_length=500, regex=r"^https?://\S+$")
    email: str | None = Field(None, max_length=254)
    first_name: str | None = Field(None, max_length=30)
    last_name: str | None = Field(None, max_length=30)
    phone: str | None = Field(None, max_length=30)
    device_id: str | None = Field(None, max_length=100)
    account_id: str | None = Field(None, max_length=100)

    @validator("*", pre=True)
    def _blank_is_missing(cls, value: object, field: ModelField) -> object:
        """Form fields arrive as text; an empty one means "not given" (an empty description stays text)."""
        if isinstance(value, str):
            value = value.strip()
            return value if value or field.name == "description" else None
        return value

    @root_validator(skip_on_failure=True)
    def _located(cls, values: dict) -> dict:
        has_lat, has_long = values.get("lat") is not None, values.get("long") is not None
        if has_lat != has_long:
            raise ValueError("lat and long must be given together")
        if not (has_lat or values.get("address_string") or values.get("address_id")):
            raise ValueError("a location is required: lat and long, address_string or address_id")
        return values

    @property
    def contact_name(self) -> str | None:
        parts = [part for part in (self.first_name, self.last_name) if part]
        if not parts:
            return None
        if all(part.isascii() for part in parts):
            return " ".join(parts)
        return "".join(reversed(parts))  # 张 + 三: family name first

    @property
    def sender_id(self) -> str:
        return f"{CHANNEL}:{self.device_id or self.account_id or 'anonymous'}"


class FiledRequest(BaseModel):
    service_request_id: str
    service_notice: str | None
    account_id: None = None


class RequestFilter(BaseModel):
    """GET requests: ids override every other filter, as the standard says."""

    ids: List[str] = Field(default_factory=list)
    service_codes: List[str] = Field(default_factory=list)
    start: datetime | None = None
    end: datetime | None = None
    statuses: List[Literal["open", "closed"]] = Field(default_factory=list)

    @validator("start", "end")
    def _aware(cls, value: datetime | None) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("a date and time must carry a time zone (Z or +08:00)")
        return value

    @root_validator(skip_on_failure=True)
    def _ordered(cls, values: dict) -> dict:
        start, end = values.get("start"), values.get("end")
        if start is not None and end is not None and start > end:
            raise ValueError("start_date is after end_date")
        return values


class ServiceRequest(BaseModel):
    """One published request: the standard's fields and nothing that names or reaches a resident."""

    service_request_id: str
    status: Literal["open", "closed"]
    status_notes: str
    service_name: str
    service_code: str
    description: str
    agency_responsible: str
    service_notice: str | None
    requested_datetime: str
    updated_datetime: str
    expected_datetime: str | None
    address: str | None
    address_id: str | None = None
    zipcode: str | None = None
    lat: float | None
    long: float | None
    media_url: str | None


class Open311Service:
    """Open311 on top of :class:`TicketService`: the same store, routes and clock."""

    def __init__(self, tickets: TicketService) -> None:
        self._tickets = tickets
        router = tickets.router
        suggestion = router.for_kind(SUGGESTION_CODE)
        self._routes: Dict[str, Route] = {route.id: route for route in router.complaint_routes}
        self._routes[suggestion.id] = suggestion

    def services(self) -> List[ServiceInfo]:
        """The complaint categories and suggestions; each gets its ticket number at once (realtime)."""
        return [
            ServiceInfo(
                service_code=code,
                service_name=route.name,
                description=f"{route.name}：由{route.department}办理，{_deadline_words(route)}内办结。",
                type="realtime",
                keywords=",".join(route.keywords),
                group=SUGGESTION_GROUP if code == SUGGESTION_CODE else COMPLAINT_GROUP,
            )
            for code, route in self._routes.items()
        ]

    def is_fileable(self, code: str) -> bool:
        return code in self._routes

    def file(self, draft: RequestDraft) -> FiledRequest:
        """One transaction: the ticket, its location and its photo are stored together or not at all."""
        route = self._routes.get(draft.service_code)
        if route is None:
            raise UnknownServiceCode(draft.service_code)
        is_suggestion = route.id == SUGGESTION_CODE
        excerpt = draft.description[:TITLE_EXCERPT]
        data = TicketCreate(
            kind=TicketKind.suggestion if is_suggestion else TicketKind.complaint,
            title=f"{route.name}：{excerpt}" if excerpt else route.name,
            description=draft.description,
            category=None if is_suggestion else route.id,
            address=draft.address_string or (f"地址编号：{draft.address_id}" if draft.address_id else None),
            channel=CHANNEL,
            sender_id=draft.sender_id,
            contact_name=draft.contact_name,
            contact_phone=draft.phone,
        )
        now = self._tickets.clock()
        with self._tickets._session() as session:
            ticket = self._tickets._new_ticket(session, data, now=now)
            ticket.latitude, ticket.longitude = draft.lat, draft.long
            if draft.media_url:
                session.add(TicketAttachment(ticket_id=ticket.id, kind="image", url=draft.media_url, created_at=now))
            if draft.email:  # no column for it; staff find it in the ticket's history
                repo.add_event(
                    session, ticket=ticket, actor=f"resident:{CHANNEL}", type="contact", data={"email": draft.email}
                )
            session.flush()
            filed = FiledRequest(service_request_id=ticket.number, service_notice=self._notice(ticket))
        logger.info("filed Open311 request %s (%s)", filed.service_request_id, route.id)
        return filed

    def find(self, query: RequestFilter) -> List[ServiceRequest]:
        """Newest first, at most :data:`MAX_RESULTS`; without dates, the last 90 days.

        Only ``start`` means from then on; only ``end`` means the 90 days before it.
        """
        statement = self._public_tickets()
        if query.ids:
            statement = statement.where(Ticket.number.in_([number.upper() for number in query.ids]))
        else:
            start, end = query.start, query.end
            if start is None and end is None:
                start = self._tickets.clock() - DEFAULT_SPAN
            elif start is None and end is not None:
                start = end - DEFAULT_SPAN
            statement = statement.where(Ticket.created_at >= start)
            if end is not None:
                statement = statement.where(Ticket.created_at <= end)
            if query.service_codes:
                statement = statement.where(Ticket.category.in_(query.service_codes))
            if set(query.statuses) == {"open"}:
                statement = statement.where(Ticket.status.in_(repo.OPEN_STATUSES))
            elif set(query.statuses) == {"closed"}:
                statement = statement.where(Ticket.status.not_in(repo.OPEN_STATUSES))
        statement = statement.order_by(Ticket.created_at.desc(), Ticket.id.desc()).limit(MAX_RESULTS)
        with self._tickets._session() as session:
            return [self._published(ticket) for ticket in session.execute(statement).scalars()]

    def get(self, number: str) -> ServiceRequest:
        """One published request; tickets that are not public do not exist here (:class:`TicketNotFound`)."""
        statement = self._public_tickets().where(Ticket.number == number.upper())
        with self._tickets._session() as session:
            ticket = session.execute(statement).scalar_one_or_none()
            if ticket is None:
                raise TicketNotFound(number)
            return self._published(ticket)

    @staticmethod
    def _public_tickets():  # type: ignore[no-untyped-def]
        return (
            select(Ticket)
            .options(selectinload(Ticket.attachments), selectinload(Ticket.merged_into))
            .where(Ticket.kind.in_(PUBLIC_KINDS))
        )

    def _notice(self, ticket: Ticket) -> str | None:
        if ticket.status not in repo.OPEN_STATUSES:
            return None
        return f"{ticket.department}将在 {ticket.deadline.astimezone(SHANGHAI):%Y-%m-%d %H:%M} 前办结。"

    @staticmethod
    def _public_address(ticket: Ticket, names: tuple) -> str | None:
        """A flat number identifies a household: residents' own reports are published by building
        only (3栋2单元501 → 3栋); an address filed through Open311 was given for publication, but
        its flat number, if any, is masked all the same."""
        if ticket.channel == CHANNEL:
            return scrub(ticket.address, names)
        return scrub(building_of(ticket.address), names)

    def _published(self, ticket: Ticket) -> ServiceRequest:
        """Built field by field from an allow-list: contact data, sender and transcript never get in."""
        route = self._routes.get(ticket.category)
        names = (ticket.contact_name,)
        notes = ticket.status.value
        if ticket.status is TicketStatus.referred and ticket.referred_to:
            notes = f"{notes}: {ticket.referred_to}"
        elif ticket.status is TicketStatus.duplicate and ticket.merged_into is not None:
            notes = f"{notes}: {ticket.merged_into.number}"
        image = next((item.url for item in ticket.attachments if item.kind == "image" and item.url), None)
        return ServiceRequest(
            service_request_id=ticket.number,
            status="open" if ticket.status in repo.OPEN_STATUSES else "closed",
            status_notes=scrub(notes, names) or "",
            service_name=route.name if route else ticket.category,
            service_code=ticket.category,
            description=scrub(ticket.description, names) or "",
            agency_responsible=ticket.department,
            service_notice=self._notice(ticket),
            requested_datetime=w3_datetime(ticket.created_at),
            updated_datetime=w3_datetime(ticket.updated_at),
            expected_datetime=w3_datetime(ticket.deadline),
            address=self._public_address(ticket, names),
            lat=ticket.latitude,
            long=ticket.longitude,
            media_url=image,
        )
