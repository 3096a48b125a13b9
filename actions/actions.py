"""Custom actions: each reads slots, calls one service, utters a domain.yml response.

Services come in through the constructor (tests) or are built on first use
(the action server builds actions without arguments).
"""

from __future__ import annotations

import abc
import logging
from datetime import datetime
from typing import List, Sequence

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActiveLoop, EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import constants as c
from actions import formatting as fmt
from actions import wiring
from bot.nlp.rating import extract_rating
from bot.nlp.timeparse import SHANGHAI
from policy_kb.basis import basis_of
from policy_kb.legal import GENERAL_TOPIC, LegalGuide
from policy_kb.retrieval import Hit, KnowledgeBase
from policy_kb.schema import ServiceEntry
from tickets.alerts import DutyAlerts
from tickets.errors import TicketNotFound, TicketStoreUnavailable
from tickets.models import PostKind, TicketKind
from tickets.routing import staff_on_duty
from tickets.schemas import BookingCreate, EvidenceCreate, FeedbackCreate, PostCreate, TicketCreate
from tickets.service import TicketService

logger = logging.getLogger(__name__)

PERSON_BUTTON = {"title": "1. 找工作人员", "payload": "/request_human"}
OFFER_WORDS = ("我可以", "我能", "我会", "愿意", "可以帮", "能帮大家", "免费教", "志愿", "时间银行", "我有空")


class ServiceAction(Action, abc.ABC):
    """An action that may use the ticket store and the knowledge base (abstract: not registered)."""

    def __init__(self, tickets: TicketService | None = None, knowledge_base: KnowledgeBase | None = None) -> None:
        self._tickets = tickets
        self._knowledge_base = knowledge_base

    @property
    def tickets(self) -> TicketService:
        if self._tickets is None:
            self._tickets = wiring.ticket_service()
        return self._tickets

    @property
    def knowledge_base(self) -> KnowledgeBase:
        if self._knowledge_base is None:
            self._knowledge_base = wiring.knowledge_base()
        return self._knowledge_base

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
        try:
            return self.act(dispatcher, tracker, domain)
        except TicketStoreUnavailable:
            dispatcher.utter_message(response="utter_store_unavailable", duty_phone=wiring.settings().duty_phone)
            return []

    def note_unanswered(self, question: str, hits: Sequence[Hit]) -> None:
        """Counts the question for staff (what to add to the catalogue); never stops the resident's answer."""
        try:
            self.tickets.record_unanswered(question, [hit.entry.id for hit in hits])
        except Exception as exc:  # the resident is answered either way; the count is best effort
            logger.warning("an unanswered question was not counted: %s", exc.__class__.__name__)

    @abc.abstractmethod
    def act(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
        """The action's work; a store failure becomes a polite reply in :meth:`run`."""


def _entity(tracker: Tracker, name: str) -> str | None:
    return next(tracker.get_latest_entity_values(name), None)


class ActionAskBookingConfirmed(ServiceAction):
    """Reads the booking back before anything is stored (一次告知)."""

    def name(self) -> str:
        return "action_ask_booking_confirmed"

    def act(self, dispatcher, tracker, domain):  # type: ignore[no-untyped-def]
        when = fmt.when(datetime.fromisoformat(tracker.get_slot(c.BOOKING_TIME)))
        address = tracker.get_slot(c.ADDRESS)
        response = "utter_booking_readback" if address else "utter_booking_readback_no_address"
        dispatcher.utter_message(
            response=response,
            service=tracker.get_slot(c.SERVICE),
            when=when,
            address=address,
            phone=tracker.get_slot(c.PHONE),
        )
        return []


class ActionSubmitBooking(ServiceAction):
    def name(self) -> str:
        return "action_submit_booking"

    def act(self, dispatcher, tracker, domain):  # type: ignore[no-untyped-def]
        entry = self.knowledge_base.catalogue.resolve(tracker.get_slot(c.SERVICE) or "")
        reset = [SlotSet(slot, None) for slot in c.BOOKING_SLOTS]
        if entry is None or entry.booking is None:
            dispatcher.utter_message(response="utter_service_unknown", value=tracker.get_slot(c.SERVICE))
            return reset
        booking = self.tickets.book(
            BookingCreate(
                service_id=entry.id,
                service_name=entry.name,
                scheduled_at=datetime.fromisoformat(tracker.get_slot(c.BOOKING_TIME)),
                at_home=entry.booking.at_home,
                address=tracker.get_slot(c.ADDRESS) if entry.booking.at_home else None,
                channel=fmt.channel_of(tracker),
                sender_id=tracker.sender_id,
                contact_phone=tracker.get_slot(c.PHONE),
                transcript=fmt.transcript_of(tracker),
            ),
            department=entry.where,
        )
        dispatcher.utter_message(
            response="utter_booking_done",
            number=booking.number,
            service=booking.service_name,
            when=fmt.when(booking.scheduled_at),
            where=entry.where,
        )
        return reset


class ActionOfferBookingCancellation(ServiceAction):
    """Finds the booking to cancel and asks the resident to confirm it."""

    def name(self) -> str:
        return "action_offer_booking_cancellation"

    def act(self, dispatcher, tracker, domain):  # type: ignore[no-untyped-def]
        bookings = self.tickets.upcoming_bookings(tracker.sender_id)
        wanted = (_entity(tracker, c.TICKET_ID) or "").upper()
        if wanted:
            bookings = [booking for booking in bookings if booking.number == wanted]
        if not bookings:
            dispatcher.utter_message(response="utter_no_bookings")
            return [SlotSet(c.CANCEL_CANDIDATE, None)]
        if len(bookings) > 1:
            buttons = [
                {
                    "title": f"{booking.service_name} {fmt.when(booking.scheduled_at)}",
                    "payload": f'/cancel_booking{{"ticket_id":"{booking.number}"}}',
                }
                for booking in bookings[:5]
            ]
            dispatcher.utter_message(response="utter_choose_booking_to_cancel", count=len(bookings), buttons=buttons)
            return [SlotSet(c.CANCEL_CANDIDATE, None)]
        booking = bookings[0]
        dispatcher.utter_message(
            response="utter_confirm_cancel",
            service=booking.service_name,
            when=fmt.when(booking.scheduled_at),
            number=booking.number,
        )
        return [SlotSet(c.CANCEL_CANDIDATE, booking.number)]


class ActionCancelBooking(ServiceAction):
    def name(self) -> str:
        return "action_cancel_booking"

    def act(self, dispatcher, tracker, domain):  # type: ignore[no-untyped-def]
        number = tracker.get_slot(c.CANCEL_CANDIDATE)
        if not number:
            dispatcher.utter_message(response="utter_no_bookings")
            return []
        try:
            booking = self.tickets.cancel_booking(sender_id=tracker.sender_id, number=number)
        except TicketNotFound:
            dispatcher.utter_message(response="utter_no_bookings")
            return [SlotSet(c.CANCEL_CANDIDATE, None)]
        dispatcher.utter_message(
            response="utter_booking_cancelled",
            service=booking.service_name,
            when=fmt.when(booking.scheduled_at),
            number=booking.number,
        )
        return [SlotSet(c.CANCEL_CANDIDATE, None)]


class ActionSubmitComplaint(ServiceAction):
    def name(self) -> str:
        return "action_submit_complaint"

    def act(self, dispatcher, tracker, domain):  # type: ignore[no-untyped-def]
        text = tracker.get_slot(c.COMPLAINT_TEXT)
        phone = tracker.get_slot(c.PHONE)
        anonymous = phone in (None, c.ANONYMOUS)
        ticket = self.tickets.open_ticket(
            TicketCreate(
                kind=TicketKind.complaint,
                title=text[:60],
                description=text,
                address=tracker.get_slot(c.ADDRESS),
                channel=fmt.channel_of(tracker),
                sender_id=tracker.sender_id,
                contact_phone=None if anonymous else phone,
                transcript=fmt.transcript_of(tracker),
            )
        )
        category = self.tickets.router.complaint_route(ticket.category).name
        dispatcher.utter_message(
            response="utter_complaint_filed",
            number=ticket.number,
            category=category,
            department=ticket.department,
            deadline=fmt.when(ticket.deadline),
        )
        if anonymous:
            dispatcher.utter_message(response="utter_complaint_anonymous")
        return [SlotSet(slot, None) for slot in (c.COMPLAINT_TEXT, c.ADDRESS, c.PHONE)]


class ActionSubmitSuggestion(ServiceAction):
    def name(self) -> str:
        return "action_submit_suggestion"

    def act(self, dispatcher, tracker, domain):  # type: ignore[no-untyped-def]
        text = tracker.get_slot(c.SUGGESTION_TEXT)
        ticket = self.tickets.open_ticket(
            TicketCreate(
                kind=TicketKind.suggestion,
                title=text[:60],
                description=text,
                channel=fmt.channel_of(tracker),
                sender_id=tracker.sender_id,
                transcript=fmt.transcript_of(tracker),
            )
        )
        dispatcher.utter_message(
            response="utter_suggestion_filed",
            number=ticket.number,
            department=ticket.department,
            deadline=fmt.when(ticket.deadline),
        )
        return [SlotSet(c.SUGGESTION_TEXT, None)]


def _tell_entry(dispatcher: CollectingDispatcher, entry: ServiceEntry, community: str) -> None:
    """Everything a resident needs in one go (一次告知), in a few short messages."""
    dispatcher.utter_message(
        response="utter_service_overview", name=entry.name, summary=entry.summary, eligibility=entry.eligibility
    )
    if entry.materials:
        dispatcher.utter_message(response="utter_service_materials", materials=fmt.numbered(entry.materials))
    if entry.steps:
        dispatcher.utter_message(response="utter_service_steps", steps=fmt.numbered(entry.steps))
    dispatcher.utter_message(
        response="utter_service_where_when",
        where=entry.where,
        hours=entry.hours,
        phone=entry.phone,
        fees=entry.fees,
        time_limit=entry.time_limit,
    )
    _tell_basis(dispatcher, entry, community)


def _tell_basis(dispatcher: CollectingDispatcher, entry: ServiceEntry, community: str) -> None:
    """The answer ends with where it comes from (依据); the community's own facts stay marked as local."""
    basis = basis_of(entry)
    if not basis["plan"]:
        response = "utter_service_basis_local"
    elif entry.local:
        response = "utter_service_basis"
    else:
        response = "utter_service_basis_plan"
    dispatcher.utter_message(response=response, community=community, **basis)


def _offer_next_steps(dispatcher: CollectingDispatcher, entry: ServiceEntry) -> List[EventType]:
    """After an answer: the booking when the service can be booked here, and always a person."""
    if entry.booking is None:
        dispatcher.utter_message(response="utter_offer_person", buttons=[PERSON_BUTTON])
        return [SlotSet(c.OFFERED_SERVICE, None)]
    dispatcher.utter_message(
        response="utter_offer_booking",
        name=entry.name,
        buttons=[
            {"title": "1. 现在预约", "payload": f'/book_service{{"service":"{entry.name}"}}'},
            {**PERSON_BUTTON, "title": "2. 找工作人员"},
            {"title": "3. 先不用", "payload": "/deny"},
        ],
    )
    return [SlotSet(c.OFFERED_SERVICE, entry.name)]


class ActionAnswerConsultation(ServiceAction):
    """Answers from the catalogue, or asks which service was meant instead of guessing."""

    def name(self) -> str:
        return "action_answer_consultation"

    def act(self, dispatcher, tracker, domain):  # type: ignore[no-untyped-def]
        question = tracker.latest_message.get("text") or ""
        answer = self.knowledge_base.search(question, service=_entity(tracker, c.SERVICE))
        if answer.confident and answer.best is not None:
            _tell_entry(dispatcher, answer.best, wiring.settings().community_name)
            return _offer_next_steps(dispatcher, answer.best)
        self.note_unanswered(question, answer.hits)
        if answer.hits:
            buttons = [
                {"title": f"{index}. {hit.entry.name}", "payload": f'/consult_service{{"service":"{hit.entry.name}"}}'}
                for index, hit in enumerate(answer.hits[:3], start=1)
            ]
            dispatcher.utter_message(response="utter_which_service", buttons=buttons)
            return [SlotSet(c.OFFERED_SERVICE, None)]
        dispatcher.utter_message(response="utter_no_answer", duty_phone=wiring.settings().duty_phone)
        return [SlotSet(c.OFFERED_SERVICE, None)]


class ActionAnswerLegal(ServiceAction):
    """Where to get legal aid, mediation and notary for the topic; offers a consultation."""

    def __init__(self, tickets=None, knowledge_base=None, guide: LegalGuide | None = None) -> None:  # type: ignore[no-untyped-def]
        super().__init__(tickets, knowledge_base)
        self._guide = guide

    def name(self) -> str:
        return "action_answer_legal"

    def act(self, dispatcher, tracker, domain):  # type: ignore[no-untyped-def]
        catalogue = self.knowledge_base.catalogue
        if self._guide is None or self._guide.catalogue is not catalogue:  # first use, or staff reloaded it
            self._guide = LegalGuide(catalogue)
        guide = self._guide
        text = tracker.latest_message.get("text") or ""
        topic = guide.topic_for(_entity(tracker, c.LEGAL_TOPIC), text)
        if topic is GENERAL_TOPIC:
            self.note_unanswered(text, self.knowledge_base.search(text).hits)
        dispatcher.utter_message(response="utter_legal_intro", topic=topic.name, tip=topic.tip)
        dispatcher.utter_message(response="utter_legal_routes")
        routes = guide.routes(topic, text)
        for index, entry in enumerate(routes, start=1):
            dispatcher.utter_message(
                response="utter_legal_route",
                index=index,
                name=entry.name,
                summary=entry.summary,
                where=entry.where,
                phone=entry.phone,
            )
        if routes:
            _tell_basis(dispatcher, routes[0], wiring.settings().community_name)
        consultation = guide.consultation()
        if consultation is None:
            return [SlotSet(c.OFFERED_SERVICE, None)]
        return _offer_next_steps(dispatcher, consultation)


class ActionBookOfferedService(Action):
    """'好的' after an offer to book: start the booking form with that service."""

    def name(self) -> str:
        return "action_book_offered_service"

    async def run(self, dispatcher, tracker, domain):  # type: ignore[no-untyped-def]
        offered = tracker.get_slot(c.OFFERED_SERVICE)
        if not offered:
            dispatcher.utter_message(response="utter_anything_else")
            return []
        return [SlotSet(c.SERVICE, offered), SlotSet(c.OFFERED_SERVICE, None), ActiveLoop("booking_form")]


class ActionSubmitMutualHelp(ServiceAction):
    def name(self) -> str:
        return "action_submit_mutual_help"

    def act(self, dispatcher, tracker, domain):  # type: ignore[no-untyped-def]
        text = tracker.get_slot(c.HELP_TEXT)
        contact = tracker.get_slot(c.HELP_CONTACT) or ""
        phone = contact if contact.isdigit() else None
        kind = PostKind.offer if any(word in text for word in OFFER_WORDS) else PostKind.need
        post = self.tickets.post_help(
            PostCreate(
                kind=kind,
                content=text,
                when_text=tracker.get_slot(c.HELP_TIME),
                contact_preference="电话" if phone else contact,
                contact_phone=phone,
                channel=fmt.channel_of(tracker),
                sender_id=tracker.sender_id,
            )
        )
        dispatcher.utter_message(response="utter_help_posted", post_id=post.id)
        return [SlotSet(slot, None) for slot in (c.HELP_TEXT, c.HELP_TIME, c.HELP_CONTACT)]


class ActionBrowseMutualHelp(ServiceAction):
    def name(self) -> str:
        return "action_browse_mutual_help"

    def act(self, dispatcher, tracker, domain):  # type: ignore[no-untyped-def]
        posts = self.tickets.open_posts(limit=5)
        if not posts:
            dispatcher.utter_message(response="utter_no_posts")
            return []
        labels = {PostKind.need: "求助", PostKind.offer: "帮忙"}
        lines = [
            f"【{labels[post.kind]}】{post.content}（{post.when_text or '时间不限'}，编号 {post.id}）" for post in posts
        ]
        dispatcher.utter_message(response="utter_posts", posts=fmt.numbered(lines))
        return []


class ActionCheckTicketStatus(ServiceAction):
    """A resident sees only their own tickets: by number, or their latest ones."""

    def name(self) -> str:
        return "action_check_ticket_status"

    def act(self, dispatcher, tracker, domain):  # type: ignore[no-untyped-def]
        number = _entity(tracker, c.TICKET_ID)
        if number:
            try:
                tickets = [self.tickets.ticket_of(sender_id=tracker.sender_id, number=number.upper())]
            except TicketNotFound:
                dispatcher.utter_message(response="utter_ticket_not_found", number=number.upper())
                return []
        else:
            tickets = self.tickets.tickets_of(tracker.sender_id, limit=3)
            if not tickets:
                dispatcher.utter_message(response="utter_no_tickets")
                return []
        for ticket in tickets:
            if ticket.merged_into_number:
                dispatcher.utter_message(
                    response="utter_ticket_merged", number=ticket.number, into=ticket.merged_into_number
                )
                continue
            dispatcher.utter_message(
                response="utter_ticket_status",
                number=ticket.number,
                title=ticket.title,
                status=fmt.STATUS_NAMES[ticket.status],
                department=ticket.department,
                deadline=fmt.when(ticket.deadline),
            )
            if ticket.latest_reply:
                dispatcher.utter_message(response="utter_ticket_reply", reply=ticket.latest_reply)
        return []


class ActionRequestHuman(ServiceAction):
    """Opens a handoff ticket with the transcript; the bot then stays quiet (see GuardPolicy)."""

    def name(self) -> str:
        return "action_request_human"

    def act(self, dispatcher, tracker, domain):  # type: ignore[no-untyped-def]
        settings = wiring.settings()
        ticket = self.tickets.open_ticket(
            TicketCreate(
                kind=TicketKind.handoff,
                title="居民请求人工服务",
                description=tracker.latest_message.get("text") or "",
                channel=fmt.channel_of(tracker),
                sender_id=tracker.sender_id,
                transcript=fmt.transcript_of(tracker),
            )
        )
        on_duty = staff_on_duty(datetime.now(SHANGHAI))
        dispatcher.utter_message(
            response="utter_handoff_opened" if on_duty else "utter_handoff_after_hours",
            number=ticket.number,
            hours=settings.staff_hours,
            duty_phone=settings.duty_phone,
        )
        return [SlotSet(c.HANDOFF_ACTIVE, True), ActiveLoop(None)]


class ActionRelayToStaff(ServiceAction):
    """While staff handle the conversation, the resident's words go to the ticket, unanswered."""

    def name(self) -> str:
        return "action_relay_to_staff"

    def act(self, dispatcher, tracker, domain):  # type: ignore[no-untyped-def]
        number = self.tickets.relay_to_staff(sender_id=tracker.sender_id, text=tracker.latest_message.get("text") or "")
        if number is None:  # staff closed the ticket without handing back: resume the bot
            dispatcher.utter_message(response="utter_handoff_ended")
            return [SlotSet(c.HANDOFF_ACTIVE, False)]
        return []


class ActionHandleEmergency(Action):
    """After the hotline (sent by Rasa itself, see GuardPolicy): the duty phone and an urgent ticket that
    alarms the people on duty, told at once. Whether the alarm reached someone is told afterwards, in a
    second message from the staff service (:mod:`tickets.follow_ups`): never "已通知" before it did."""

    def __init__(self, tickets: TicketService | None = None, alerts: DutyAlerts | None = None) -> None:
        self._tickets = tickets
        self._alerts = alerts

    @property
    def alerts(self) -> DutyAlerts:
        if self._alerts is None:
            self._alerts = wiring.duty_alerts(self._tickets or wiring.ticket_service())
        return self._alerts

    def name(self) -> str:
        return "action_handle_emergency"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
        text = tracker.latest_message.get("text") or ""
        dispatcher.utter_message(response="utter_emergency_duty_phone", duty_phone=wiring.settings().duty_phone)
        try:
            opened = self.alerts.open_emergency(
                TicketCreate(
                    kind=TicketKind.emergency,
                    title=f"紧急求助：{text[:40]}",
                    description=text,
                    address=_entity(tracker, c.ADDRESS),
                    channel=fmt.channel_of(tracker),
                    sender_id=tracker.sender_id,
                    transcript=fmt.transcript_of(tracker),
                )
            )
        except TicketStoreUnavailable:
            logger.error("emergency could not be stored; the resident already has the hotline")
            dispatcher.utter_message(response="utter_emergency_not_stored")
        else:
            dispatcher.utter_message(response="utter_emergency_ticket", number=opened.ticket.number)
        return [ActiveLoop(None)]  # whatever form was running is over


class ActionRecordFeedback(ServiceAction):
    def name(self) -> str:
        return "action_record_feedback"

    def act(self, dispatcher, tracker, domain):  # type: ignore[no-untyped-def]
        text = tracker.latest_message.get("text") or ""
        feedback = self.tickets.record_feedback(
            FeedbackCreate(
                sender_id=tracker.sender_id,
                channel=fmt.channel_of(tracker),
                rating=extract_rating(text),
                comment=text[:500],
                ticket_number=tracker.get_slot(c.RATING_TICKET),
            )
        )
        if feedback.ticket_number:
            dispatcher.utter_message(response="utter_feedback_on_ticket", number=feedback.ticket_number)
        else:
            dispatcher.utter_message(response="utter_feedback_thanks")
        return [SlotSet(c.RATING_TICKET, None)]


class ActionAttachEvidence(ServiceAction):
    """A photo or location the channel passed on (metadata ``attachment``) goes to the open complaint."""

    def name(self) -> str:
        return "action_attach_evidence"

    def act(self, dispatcher, tracker, domain):  # type: ignore[no-untyped-def]
        attachment = fmt.latest_user_metadata(tracker).get(c.ATTACHMENT_METADATA) or {}
        try:
            evidence = EvidenceCreate(**attachment)
        except ValueError:
            logger.warning("attachment metadata not understood: %s", sorted(attachment))
            dispatcher.utter_message(response="utter_evidence_without_ticket")
            return []
        if tracker.active_loop_name == "complaint_form":
            dispatcher.utter_message(response="utter_evidence_during_complaint")
            return []
        number = self.tickets.attach_evidence(tracker.sender_id, evidence)
        if number is None:
            dispatcher.utter_message(response="utter_evidence_without_ticket")
        elif evidence.kind == "location":
            dispatcher.utter_message(response="utter_location_attached", number=number)
        else:
            dispatcher.utter_message(response="utter_image_attached", number=number)
        return []


class ActionReopenTicket(ServiceAction):
    """The follow-up after a resolution was answered with "not fixed": the ticket is worked on again."""

    def name(self) -> str:
        return "action_reopen_ticket"

    def act(self, dispatcher, tracker, domain):  # type: ignore[no-untyped-def]
        number = tracker.get_slot(c.RATING_TICKET)
        try:
            ticket = self.tickets.reopen(
                sender_id=tracker.sender_id, number=number or "", reason=tracker.latest_message.get("text") or ""
            )
        except TicketNotFound:
            dispatcher.utter_message(response="utter_ticket_not_reopened", duty_phone=wiring.settings().duty_phone)
            return [SlotSet(c.RATING_TICKET, None)]
        dispatcher.utter_message(response="utter_ticket_reopened", number=ticket.number)
        return [SlotSet(c.RATING_TICKET, None)]


class ActionStopForm(Action):
    """'算了' in the middle of a form: stop it, keep nothing half-filled."""

    def name(self) -> str:
        return "action_stop_form"

    async def run(self, dispatcher, tracker, domain):  # type: ignore[no-untyped-def]
        dispatcher.utter_message(response="utter_form_stopped")
        slots = (*c.BOOKING_SLOTS, c.COMPLAINT_TEXT, c.SUGGESTION_TEXT, c.HELP_TEXT, c.HELP_TIME, c.HELP_CONTACT)
        return [ActiveLoop(None), *[SlotSet(slot, None) for slot in slots]]
