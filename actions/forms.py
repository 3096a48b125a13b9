"""Validation of what residents answer inside forms: each validator accepts or asks again."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any, Dict

from rasa_sdk import FormValidationAction, Tracker
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import constants as c
from actions import wiring
from bot.nlp.phones import normalise_phone
from bot.nlp.timeparse import SHANGHAI, parse_time
from policy_kb import booking_rules
from policy_kb.retrieval import KnowledgeBase

logger = logging.getLogger(__name__)


def _now() -> datetime:
    return datetime.now(SHANGHAI)


def _typed(value: Any) -> str:
    """What the resident typed; a button's payload ("/file_complaint") is not an answer."""
    text = str(value).strip()
    return "" if text.startswith("/") else text


class ValidateBookingForm(FormValidationAction):
    """Service must be bookable, time in the future and open, phone a real mainland number."""

    def __init__(self, knowledge_base: KnowledgeBase | None = None, clock=_now) -> None:  # type: ignore[no-untyped-def]
        self._knowledge_base = knowledge_base
        self._clock = clock

    @property
    def knowledge_base(self) -> KnowledgeBase:
        if self._knowledge_base is None:
            self._knowledge_base = wiring.knowledge_base()
        return self._knowledge_base

    def name(self) -> str:
        return "validate_booking_form"

    async def required_slots(
        self, domain_slots: list, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list:
        entry = self.knowledge_base.catalogue.resolve(tracker.get_slot(c.SERVICE) or "")
        if entry is not None and entry.booking is not None and not entry.booking.at_home:
            return [slot for slot in domain_slots if slot != c.ADDRESS]
        return domain_slots

    def validate_service(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[str, Any]:
        entry = self.knowledge_base.catalogue.resolve(str(value))
        if entry is None:
            answer = self.knowledge_base.search(str(value), limit=1)
            entry = answer.best if answer.confident else None
        if entry is None:
            dispatcher.utter_message(response="utter_service_unknown", value=value)
            return {c.SERVICE: None}
        if entry.booking is None:
            dispatcher.utter_message(response="utter_service_not_bookable", name=entry.name)
            return {c.SERVICE: None}
        return {c.SERVICE: entry.name}

    def validate_booking_time(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[str, Any]:
        now = self._clock()
        parsed = parse_time(str(value), now=now)
        if parsed is None:
            dispatcher.utter_message(response="utter_time_not_understood")
            return {c.BOOKING_TIME: None}
        entry = self.knowledge_base.catalogue.resolve(tracker.get_slot(c.SERVICE) or "")
        start = parsed.start
        if entry is not None and not parsed.has_clock_time:
            start = booking_rules.first_opening_after(entry, start) or start
        if start <= now:
            dispatcher.utter_message(response="utter_time_in_past")
            return {c.BOOKING_TIME: None}
        if entry is not None and not booking_rules.is_open_at(entry, start):
            dispatcher.utter_message(
                response="utter_time_closed", service=entry.name, hours=booking_rules.describe_hours(entry)
            )
            return {c.BOOKING_TIME: None}
        return {c.BOOKING_TIME: start.isoformat()}

    def validate_address(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[str, Any]:
        address = _typed(value)
        if len(address) < 2:
            dispatcher.utter_message(response="utter_address_too_short")
            return {c.ADDRESS: None}
        return {c.ADDRESS: address}

    def validate_phone(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[str, Any]:
        phone = normalise_phone(str(value))
        if phone is None:
            dispatcher.utter_message(response="utter_phone_invalid")
        return {c.PHONE: phone}

    def validate_booking_confirmed(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[str, Any]:
        if value is True:
            return {c.BOOKING_CONFIRMED: True}
        dispatcher.utter_message(response="utter_booking_start_over")
        return {slot: None for slot in c.BOOKING_SLOTS}


class ValidateComplaintForm(FormValidationAction):
    """A complaint needs what happened and where; a phone is optional (anonymous allowed)."""

    def name(self) -> str:
        return "validate_complaint_form"

    def validate_complaint_text(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[str, Any]:
        text = _typed(value)
        detail = text
        for filler in c.COMPLAINT_FILLER:
            detail = detail.replace(filler, "")
        if len(detail.strip(" ，。！？!?,.")) < c.MIN_COMPLAINT_DETAIL:
            return {c.COMPLAINT_TEXT: None}
        return {c.COMPLAINT_TEXT: text}

    def validate_address(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[str, Any]:
        address = _typed(value)
        return {c.ADDRESS: address if len(address) >= 2 else None}

    def validate_phone(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[str, Any]:
        if value == c.ANONYMOUS:
            return {c.PHONE: c.ANONYMOUS}
        phone = normalise_phone(str(value))
        if phone is None:
            dispatcher.utter_message(response="utter_phone_invalid_or_anonymous")
        return {c.PHONE: phone}


class ValidateSuggestionForm(FormValidationAction):
    def name(self) -> str:
        return "validate_suggestion_form"

    def validate_suggestion_text(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[str, Any]:
        text = _typed(value)
        bare = text.replace("建议", "").replace("我有个", "").replace("我想提", "").strip(" ，。！？")
        return {c.SUGGESTION_TEXT: text if len(bare) >= c.MIN_COMPLAINT_DETAIL else None}


class ValidateMutualHelpForm(FormValidationAction):
    """What is needed or offered, when, and how neighbours get in touch."""

    def name(self) -> str:
        return "validate_mutual_help_form"

    def validate_help_text(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[str, Any]:
        text = _typed(value)
        bare = text.replace("邻里圈", "").replace("发个", "").replace("发布", "").replace("互助", "").strip(" ，。！？")
        return {c.HELP_TEXT: text if len(bare) >= 4 else None}

    def validate_help_time(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[str, Any]:
        text = _typed(value)
        if any(word in text for word in c.ANY_TIME_WORDS):
            return {c.HELP_TIME: "时间不限"}
        return {c.HELP_TIME: text[:100] or None}

    def validate_help_contact(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[str, Any]:
        text = _typed(value)
        phone = normalise_phone(text)
        return {c.HELP_CONTACT: phone or text[:100] or None}
