"""The staff JSON API for tickets, posts, accounts and the audit log.

Every change that concerns a resident is told to them on their own channel through
:class:`bot.delivery.proactive.ProactiveSender`, and the delivery's status is kept on the
ticket (shown with its history). Routes answer 401 without a login, 403 outside the role,
404 for an unknown ticket (or one of another department or grid, 403), 409 for a move the
ticket's status does not allow, 422 for missing details.
"""

from __future__ import annotations

import logging
import re
from contextlib import contextmanager
from datetime import datetime
from typing import Any, Iterator, List

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from pydantic import BaseModel, Field, validator

from bot.delivery import outbox
from bot.delivery.proactive import Delivery, ProactiveSender
from bot.staff import notices
from bot.staff.auth import StaffAuth
from tickets.accounts import AccountService, StaffIdentity
from tickets.errors import InvalidTransition, NotAllowed, TicketNotFound, TicketStoreUnavailable
from tickets.handling import OPEN, StaffDesk
from tickets.models import PostStatus, StaffRole, TicketKind, TicketStatus
from tickets.staff_schemas import AuditView, PostView, QueueFilter, Recipient, TicketDetail, TicketSummary

logger = logging.getLogger(__name__)

HANDOFF_SLOT = "handoff_active"
TICKET_NUMBER = re.compile(r"GD\d{8}-\d{4}")
RATING_SLOT = "rating_ticket"


class TicketList(BaseModel):
    tickets: List[TicketSummary]


class DeliveryView(BaseModel):
    id: int
    purpose: str
    status: str
    attempts: int
    last_error: str | None


class TicketPage(BaseModel):
    ticket: TicketDetail
    deliveries: List[DeliveryView]


class ReplyForm(BaseModel):
    text: str = Field(..., min_length=1, max_length=2000)


class AssignForm(BaseModel):
    assignee: str | None = Field(None, max_length=80)
    department: str | None = Field(None, max_length=60)
    note: str | None = Field(None, max_length=1000)


class StatusForm(BaseModel):
    status: TicketStatus
    note: str | None = Field(None, max_length=2000)
    referred_to: str | None = Field(None, max_length=100)


class MergeForm(BaseModel):
    into: str = Field(..., min_length=4, max_length=20)


class RescheduleForm(BaseModel):
    at: datetime
    note: str | None = Field(None, max_length=500)

    @validator("at")
    def _aware(cls, value: datetime) -> datetime:
        if value.tzinfo is None:
            raise ValueError("give the time with its zone, e.g. 2026-12-01T09:00:00+08:00")
        return value


class ModerationForm(BaseModel):
    reason: str | None = Field(None, max_length=500)


class AccountForm(BaseModel):
    username: str = Field(..., min_length=2, max_length=80, regex=r"^[\w.@-]+$")
    password: str = Field(..., min_length=8, max_length=200)
    role: StaffRole = StaffRole.staff
    display_name: str = Field("", max_length=80)
    departments: List[str] = Field(default_factory=list)
    grids: List[str] = Field(default_factory=list)


class PendingMessage(BaseModel):
    """A message waiting until its resident writes again (WeChat's 48-hour rule)."""

    id: int
    channel: str
    recipient: str
    text: str
    created_at: datetime
    last_error: str | None


@contextmanager
def http_errors() -> Iterator[None]:
    """The ticket store's typed failures as HTTP answers."""
    try:
        yield
    except TicketNotFound as exc:
        raise HTTPException(status_code=404, detail="没有这个工单") from exc
    except NotAllowed as exc:
        raise HTTPException(status_code=403, detail="这个工单不归您处理") from exc
    except InvalidTransition as exc:
        raise HTTPException(status_code=409, detail=f"当前状态不能这样操作：{exc}") from exc
    except ValueError as exc:
        raise HTTPException(status_code=422, detail=str(exc)) from exc
    except TicketStoreUnavailable as exc:
        raise HTTPException(status_code=503, detail="工单库暂时不可用") from exc


def tickets_router(auth: StaffAuth, desk: StaffDesk, accounts: AccountService, sender: ProactiveSender) -> APIRouter:
    router = APIRouter(prefix="/api")
    handler = Depends(auth.handler)

    async def tell(recipient: Recipient, text: str, purpose: str, **options: Any) -> Delivery:
        """Send to the ticket's resident and note the delivery on the ticket."""
        delivery = await sender.send(recipient.conversation_id, recipient.channel, text, **options)
        if not recipient.ticket_number.startswith("POST-"):
            desk.note_delivery(recipient.ticket_number, delivery_id=delivery.id, purpose=purpose)
        return delivery

    def page(ticket: TicketDetail) -> TicketPage:
        noted = [event for event in ticket.events if event.type == "delivery" and event.data]
        known = sender.deliveries([event.data["id"] for event in noted])
        deliveries = [
            DeliveryView(
                id=event.data["id"],
                purpose=event.data.get("purpose", ""),
                status=known[event.data["id"]].status,
                attempts=known[event.data["id"]].attempts,
                last_error=known[event.data["id"]].last_error,
            )
            for event in noted
            if event.data["id"] in known
        ]
        return TicketPage(ticket=ticket, deliveries=deliveries)

    def current(who: StaffIdentity, number: str) -> TicketPage:
        """The page after an action, with the deliveries it started."""
        with http_errors():
            return page(desk.detail(who, number, audit=False))

    def recipient_of(ticket: TicketDetail) -> Recipient:
        return Recipient(ticket_number=ticket.number, conversation_id=ticket.sender_id, channel=ticket.channel)

    @router.get("/tickets", response_model=TicketList)
    def queue(
        who: StaffIdentity = handler,
        status: List[TicketStatus] = Query([]),
        kind: TicketKind | None = None,
        category: str | None = None,
        department: str | None = None,
        grid: str | None = None,
        channel: str | None = None,
        q: str | None = Query(None, max_length=100),
        open_only: bool = True,
        limit: int = Query(100, ge=1, le=500),
    ) -> TicketList:
        """The queue: emergencies, then overdue, then by deadline; contact data masked."""
        filters = QueueFilter(
            status=status,
            kind=kind,
            category=category,
            department=department,
            grid=grid,
            channel=channel,
            search=q,
            open_only=open_only,
            limit=limit,
        )
        with http_errors():
            return TicketList(tickets=desk.queue(who, filters))

    @router.get("/tickets/{number}", response_model=TicketPage)
    def ticket(number: str, request: Request, refresh: bool = False, who: StaffIdentity = handler) -> TicketPage:
        """A ticket in full, for those who handle it. Opening it is audited; the page's own
        automatic refreshes (``refresh=true``) of a ticket already opened are not."""
        client = request.client.host if request.client else None
        with http_errors():
            return page(desk.detail(who, number, client=client, audit=not refresh))

    @router.post("/tickets/{number}/claim", response_model=TicketPage)
    def claim(number: str, who: StaffIdentity = handler) -> TicketPage:
        with http_errors():
            return page(desk.claim(who, number))

    @router.post("/tickets/{number}/assign", response_model=TicketPage)
    async def assign(number: str, form: AssignForm, who: StaffIdentity = handler) -> TicketPage:
        with http_errors():
            ticket = desk.assign(who, number, assignee=form.assignee, department=form.department, note=form.note)
        if form.department:
            notice = notices.dispatched(ticket.number, ticket.department, ticket.deadline)
            await tell(recipient_of(ticket), notice, "dispatched")
        return current(who, ticket.number)

    @router.post("/tickets/{number}/reply", response_model=TicketPage)
    async def reply(number: str, form: ReplyForm, who: StaffIdentity = handler) -> TicketPage:
        """The reply goes to the resident's own channel at once; its delivery is shown."""
        with http_errors():
            recipient = desk.record_reply(who, number, form.text.strip())
        await tell(recipient, notices.staff_reply(recipient.ticket_number, form.text.strip()), "reply", staff=True)
        return current(who, recipient.ticket_number)

    @router.post("/tickets/{number}/status", response_model=TicketPage)
    async def change_status(number: str, form: StatusForm, who: StaffIdentity = handler) -> TicketPage:
        with http_errors():
            before = desk.detail(who, number, audit=False)
            ticket = desk.set_status(who, number, form.status, note=form.note, referred_to=form.referred_to)
        await _tell_status(before, ticket, form)
        return current(who, ticket.number)

    async def _tell_status(before: TicketDetail, ticket: TicketDetail, form: StatusForm) -> None:
        recipient = recipient_of(ticket)
        status = ticket.status
        if ticket.kind is TicketKind.handoff and status not in OPEN and before.status in OPEN:
            await tell(recipient, notices.handed_back(), "handed_back", slots={HANDOFF_SLOT: False})
        if status is TicketStatus.resolved:
            await tell(
                recipient,
                notices.resolved(ticket.number, form.note or ""),
                "rating_request",
                buttons=notices.RATING_BUTTONS,
                slots={RATING_SLOT: ticket.number},
            )
            desk.mark_rating_requested(ticket.number)
        elif status is TicketStatus.referred:
            await tell(recipient, notices.referred(ticket.number, form.referred_to or "", form.note), "referred")
        elif status is TicketStatus.no_action:
            await tell(recipient, notices.no_action(ticket.number, form.note), "no_action")
        elif status is TicketStatus.cancelled and ticket.kind is TicketKind.booking:
            await tell(recipient, notices.booking_cancelled(ticket.number, form.note), "booking_cancelled")
        elif status is TicketStatus.in_progress and before.status not in OPEN:
            await tell(recipient, notices.reopened(ticket.number), "reopened")
        elif status is TicketStatus.in_progress and before.status is TicketStatus.new and ticket.booking_time:
            await tell(recipient, notices.booking_confirmed(ticket.number, ticket.booking_time), "booking_confirmed")

    @router.post("/tickets/{number}/merge", response_model=TicketPage)
    async def merge(number: str, form: MergeForm, who: StaffIdentity = handler) -> TicketPage:
        """Close as a duplicate of ``into``; the resident is told which ticket to follow."""
        with http_errors():
            ticket = desk.merge(who, number, into=form.into)
        await tell(recipient_of(ticket), notices.merged(ticket.number, ticket.merged_into or form.into), "merged")
        return current(who, ticket.number)

    @router.post("/tickets/{number}/reschedule", response_model=TicketPage)
    async def reschedule(number: str, form: RescheduleForm, who: StaffIdentity = handler) -> TicketPage:
        with http_errors():
            ticket = desk.reschedule_booking(who, number, at=form.at, note=form.note)
        await tell(recipient_of(ticket), notices.booking_rescheduled(ticket.number, form.at), "rescheduled")
        return current(who, ticket.number)

    @router.post("/tickets/{number}/takeover", response_model=TicketPage)
    async def take_over(number: str, who: StaffIdentity = handler) -> TicketPage:
        """Staff talk to the resident from now on; the bot stays silent until handed back."""
        with http_errors():
            ticket = desk.handoff(who, number, taken=True)
        await tell(
            recipient_of(ticket),
            notices.taken_over(who.display_name or who.username),
            "taken_over",
            staff=True,
            slots={HANDOFF_SLOT: True},
        )
        return current(who, ticket.number)

    @router.post("/tickets/{number}/handback", response_model=TicketPage)
    async def hand_back(number: str, who: StaffIdentity = handler) -> TicketPage:
        with http_errors():
            ticket = desk.handoff(who, number, taken=False)
        await tell(recipient_of(ticket), notices.handed_back(), "handed_back", slots={HANDOFF_SLOT: False})
        return current(who, ticket.number)

    @router.get("/posts", response_model=List[PostView])
    def posts(status: PostStatus | None = PostStatus.pending, _: StaffIdentity = handler) -> List[PostView]:
        with http_errors():
            return desk.posts(status)

    @router.post("/posts/{post_id}/{action}", response_model=PostView)
    async def moderate(post_id: int, action: str, form: ModerationForm, who: StaffIdentity = handler) -> PostView:
        """approve, reject (with a reason, told to the poster) or close a mutual-help post."""
        wanted = {"approve": PostStatus.approved, "reject": PostStatus.rejected, "close": PostStatus.closed}
        if action not in wanted:
            raise HTTPException(status_code=404, detail="unknown action")
        with http_errors():
            post, recipient = desk.moderate_post(who, post_id, wanted[action], reason=form.reason)
        if post.status is PostStatus.approved:
            await tell(recipient, notices.post_approved(), "post_approved")
        elif post.status is PostStatus.rejected:
            await tell(recipient, notices.post_rejected(form.reason or ""), "post_rejected")
        return post

    @router.get("/staff", response_model=List[StaffIdentity])
    def colleagues(_: StaffIdentity = handler) -> List[StaffIdentity]:
        """Colleagues a ticket can be assigned to."""
        with http_errors():
            return accounts.users()

    @router.post("/staff", response_model=StaffIdentity, status_code=201)
    def create_account(form: AccountForm, who: StaffIdentity = Depends(auth.admin)) -> StaffIdentity:
        with http_errors():
            if any(user.username == form.username for user in accounts.users()):
                raise HTTPException(status_code=409, detail="这个用户名已经有了")
            created = accounts.create_user(
                form.username,
                form.password,
                role=form.role,
                display_name=form.display_name,
                departments=form.departments,
                grids=form.grids,
            )
        logger.info("account %s created by %s", created.username, who.username)
        return created

    @router.get("/audit", response_model=List[AuditView])
    def audit(limit: int = Query(200, ge=1, le=2000), _: StaffIdentity = Depends(auth.admin)) -> List[AuditView]:
        with http_errors():
            return desk.audit_log(limit=limit)

    @router.get("/messages/pending", response_model=List[PendingMessage])
    def pending(who: StaffIdentity = handler) -> List[PendingMessage]:
        """Messages that wait for their resident to write again (out of the channel's reply window).

        They carry what staff wrote to a resident (name, flat, phone), so staff of a department or
        grid see only those about tickets they handle; a message that names no ticket only those
        who see every ticket.
        """
        messages = [
            PendingMessage(
                id=item.id,
                channel=item.channel,
                recipient=item.recipient,
                text=str(item.body.get("text", "")),
                created_at=item.created_at,
                last_error=item.last_error,
            )
            for item in outbox.pending_messages(desk.tickets.database_url)
        ]
        if desk.sees_every_ticket(who):
            return messages
        named = {message.id: set(TICKET_NUMBER.findall(message.text.upper())) for message in messages}
        with http_errors():
            handled = desk.handled_numbers(who, set().union(*named.values()))
        return [message for message in messages if named[message.id] and named[message.id] <= handled]

    return router
