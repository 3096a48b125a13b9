"""Validation of what residents answer inside forms: each validator accepts or asks again.

No answer leads nowhere: a correction of an earlier answer ("不对，改成后天上午") is applied
while another question is pending, and after two answers in a row that fill nothing the
resident is offered numbered choices, a person, or leaving (:class:`GuidedForm`).
"""

from __future__ import annotations

import abc
import logging
import re
from datetime import datetime
from typing import Any, Dict, List, Sequence

from rasa_sdk import FormValidationAction, Tracker, utils
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import constants as c
from actions import formatting as fmt
from actions import wiring
from policy_kb import booking_rules
from policy_kb.retrieval import KnowledgeBase
from policy_kb.schema import ServiceEntry
from text.corrections import Correction, find_correction
from text.phones import normalise_phone
from text.timeparse import SHANGHAI, parse_time

logger = logging.getLogger(__name__)

Button = Dict[str, str]

# The way out offered to a resident stuck on a question.
WAY_OUT: List[Button] = [
    {"title": "找工作人员", "payload": f"/{c.REQUEST_HUMAN}"},
    {"title": "不办了，退出", "payload": f"/{c.GOODBYE}"},
]
# The services most often booked, offered when nothing closer is known (as utter_ask_booking_form_service).
COMMON_SERVICES = ("老年助餐", "助老理发", "家政服务", "健康体检", "心理咨询", "法律咨询", "活动室")
# Questions whose answer is a description: words like "改成" there are part of it, not a correction.
DESCRIPTION_SLOTS = frozenset({c.COMPLAINT_TEXT, c.SUGGESTION_TEXT, c.HELP_TEXT})
# Which slots a correction may change, by what the resident names ("地址写错了") or the entity found.
FIELD_SLOTS = {
    "time": (c.BOOKING_TIME, c.HELP_TIME),
    "address": (c.ADDRESS,),
    "phone": (c.PHONE, c.HELP_CONTACT),
    "service": (c.SERVICE,),
}
ENTITY_FIELDS = {"date_time": "time", "address": "address", "phone": "phone", "service": "service"}
SLOT_ENTITIES = {
    c.BOOKING_TIME: "date_time",
    c.HELP_TIME: "date_time",
    c.ADDRESS: "address",
    c.PHONE: "phone",
    c.HELP_CONTACT: "phone",
    c.SERVICE: "service",
}
SLOT_LABELS = {
    c.BOOKING_TIME: "时间",
    c.HELP_TIME: "时间",
    c.ADDRESS: "地址",
    c.PHONE: "电话",
    c.HELP_CONTACT: "联系方式",
    c.SERVICE: "服务",
}
_LEADING_NUMBER = re.compile(r"^\s*\d+\s*[.、．]\s*")


def _now() -> datetime:
    return datetime.now(SHANGHAI)


def _typed(value: Any) -> str:
    """What the resident typed; a button's payload ("/file_complaint") is not an answer."""
    text = str(value).strip()
    return "" if text.startswith("/") else text


def offer(dispatcher: CollectingDispatcher, response: str, choices: Sequence[Button], **kwargs: Any) -> None:
    """A response followed by numbered choices, as buttons and as lines for channels without buttons."""
    titles = [_LEADING_NUMBER.sub("", choice["title"]) for choice in choices]
    buttons = [
        {"title": f"{number}. {title}", "payload": choice["payload"]}
        for number, (title, choice) in enumerate(zip(titles, choices, strict=True), start=1)
    ]
    dispatcher.utter_message(response=response, buttons=buttons, options=fmt.numbered(titles), **kwargs)


def time_choice(moment: datetime) -> Button:
    return {"title": fmt.when(moment), "payload": f'/inform{{"date_time":"{moment.isoformat()}"}}'}


def service_choice(name: str) -> Button:
    return {"title": name, "payload": f'/inform{{"service":"{name}"}}'}


def _offered_time(text: str) -> datetime | None:
    """The time of a picked option (its payload carries the exact moment), else None."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None


def _latest_user_event(tracker: Tracker) -> int:
    return max((i for i, event in enumerate(tracker.events) if event.get("event") == "user"), default=-1)


def _value_before_message(tracker: Tracker, slot: str) -> Any:
    """What ``slot`` held before the resident's latest message."""
    value = None
    for event in tracker.events[: _latest_user_event(tracker)]:
        if event.get("event") == "slot" and event.get("name") == slot:
            value = event.get("value")
    return value


class GuidedForm(FormValidationAction, abc.ABC):
    """Corrections of earlier answers, and a way out after two answers in a row that fill nothing."""

    def __init__(self, clock=_now) -> None:  # type: ignore[no-untyped-def]
        self._clock = clock

    @abc.abstractmethod
    def name(self) -> str:
        """validate_<form>: each form's validator names itself (this class is not registered)."""

    def choices(self, slot: str, tracker: Tracker) -> List[Button]:
        """Answers to ``slot`` to offer a resident stuck on it; none for free text."""
        return []

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
        requested = tracker.get_slot(c.REQUESTED_SLOT)
        if not requested or tracker.active_loop_name != self.form_name():
            return await super().run(dispatcher, tracker, domain)
        corrected = await self._correct(requested, dispatcher, tracker, domain)
        if corrected is not None:
            return corrected
        answer = tracker.slots_to_validate().get(requested)
        events = await super().run(dispatcher, tracker, domain)
        if not isinstance(answer, str):  # nothing typed for it, or a yes/no: no miss to count
            return events
        filled = any(
            e.get("event") == "slot" and e.get("name") == requested and e.get("value") is not None for e in events
        )
        if filled:
            return events + [SlotSet(c.FORM_MISSES, None)]
        return events + self._miss(requested, dispatcher, tracker)

    def _miss(self, requested: str, dispatcher: CollectingDispatcher, tracker: Tracker) -> List[EventType]:
        """Counts an answer that filled nothing; from the second in a row, offers the way out."""
        turn = sum(1 for event in tracker.events if event.get("event") == "user")
        before = tracker.get_slot(c.FORM_MISSES) or {}
        in_a_row = before.get("slot") == requested and before.get("turn") == turn - 1
        count = before.get("count", 0) + 1 if in_a_row else 1
        events: List[EventType] = [SlotSet(c.FORM_MISSES, {"slot": requested, "count": count, "turn": turn})]
        if count < c.MISSES_BEFORE_WAY_OUT:
            return events
        offered = [message for message in dispatcher.messages if message.get("buttons")]
        choices = offered[-1]["buttons"] if offered else self.choices(requested, tracker)
        dispatcher.messages[:] = [message for message in dispatcher.messages if not message.get("buttons")]
        offer(dispatcher, "utter_form_way_out", [*choices, *WAY_OUT])
        logger.info("resident stuck on %s after %s answers: way out offered", requested, count)
        return events + [SlotSet(c.OPTIONS_SHOWN, True)]

    async def _correct(
        self, requested: str, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType] | None:
        """Applies "不对，改成后天上午" to the slot it corrects, then the form asks what is pending."""
        if requested in DESCRIPTION_SLOTS:
            return None
        correction = find_correction(tracker.latest_message.get("text") or "")
        if correction is None:
            return None
        required = await self.required_slots(self.domain_slots(domain), dispatcher, tracker, domain)
        target = self._correction_target(correction, required, tracker)
        if target is None:
            return None
        value = self._corrected_value(correction, target, tracker)
        validate = getattr(self, f"validate_{target}", None)
        result: Dict[str, Any] = {target: value}
        if validate is not None:
            result = await utils.call_potential_coroutine(validate(value, dispatcher, tracker, domain))
        events: List[EventType] = [
            SlotSet(slot, _value_before_message(tracker, slot))
            for slot in tracker.slots_to_validate()
            if slot in required and slot not in result
        ]
        events += [SlotSet(slot, slot_value) for slot, slot_value in result.items()]
        tracker.add_slots(events)
        if result.get(target) is not None and target != requested:
            dispatcher.utter_message(
                response="utter_answer_corrected", what=SLOT_LABELS[target], value=self._shown(target, result[target])
            )
        logger.info("resident corrected %s while %s was pending", target, requested)
        next_slot = await self.next_requested_slot(dispatcher, tracker, domain)
        return events + ([next_slot] if next_slot else []) + [SlotSet(c.FORM_MISSES, None)]

    def _correction_target(self, correction: Correction, required: List[str], tracker: Tracker) -> str | None:
        fields = [correction.field] if correction.field else self._fields_in(correction, tracker)
        for field in fields:
            for slot in FIELD_SLOTS.get(field, ()):
                if slot in required:
                    return slot
        return None

    def _fields_in(self, correction: Correction, tracker: Tracker) -> List[str]:
        """What the new value is: the entities found in it, else a phone number or a time."""
        fields = [
            ENTITY_FIELDS[entity["entity"]]
            for entity in tracker.latest_message.get("entities") or []
            if entity.get("entity") in ENTITY_FIELDS and (entity.get("start") or 0) >= correction.start
        ]
        if normalise_phone(correction.value):
            fields.append("phone")
        if parse_time(correction.value, now=self._clock()) is not None:
            fields.append("time")
        return fields

    @staticmethod
    def _corrected_value(correction: Correction, target: str, tracker: Tracker) -> str:
        for entity in tracker.latest_message.get("entities") or []:
            if entity.get("entity") == SLOT_ENTITIES.get(target) and (entity.get("start") or 0) >= correction.start:
                return str(entity.get("value"))
        return correction.value

    @staticmethod
    def _shown(slot: str, value: Any) -> str:
        if slot == c.BOOKING_TIME:
            return fmt.when(datetime.fromisoformat(value))
        return str(value)


class ValidateBookingForm(GuidedForm):
    """Service must be bookable, time in the future and open, phone a real mainland number."""

    def __init__(self, knowledge_base: KnowledgeBase | None = None, clock=_now) -> None:  # type: ignore[no-untyped-def]
        super().__init__(clock)
        self._knowledge_base = knowledge_base

    @property
    def knowledge_base(self) -> KnowledgeBase:
        if self._knowledge_base is None:
            self._knowledge_base = wiring.knowledge_base()
        return self._knowledge_base

    def name(self) -> str:
        return "validate_booking_form"

    def _entry(self, tracker: Tracker) -> ServiceEntry | None:
        return self.knowledge_base.catalogue.resolve(tracker.get_slot(c.SERVICE) or "")

    async def required_slots(
        self, domain_slots: list, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list:
        entry = self._entry(tracker)
        if entry is not None and entry.booking is not None and not entry.booking.at_home:
            return [slot for slot in domain_slots if slot != c.ADDRESS]
        return domain_slots

    def choices(self, slot: str, tracker: Tracker) -> List[Button]:
        if slot == c.SERVICE:
            return [service_choice(name) for name in COMMON_SERVICES]
        entry = self._entry(tracker)
        if slot == c.BOOKING_TIME and entry is not None:
            return [time_choice(t) for t in booking_rules.next_openings(entry, self._clock() + booking_rules.NOTICE)]
        return []

    def validate_service(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[str, Any]:
        """A name, or a description ("来家里帮忙打扫") matched in the catalogue; choices when unsure."""
        said = str(value).strip()
        entry = self.knowledge_base.catalogue.resolve(said)
        if entry is None:
            entry, candidates = booking_rules.match_bookable(self.knowledge_base, said)
            if entry is None and candidates:
                offer(dispatcher, "utter_service_choose", [service_choice(e.name) for e in candidates])
                return {c.SERVICE: None, c.OPTIONS_SHOWN: True}
        if entry is None:
            answer = self.knowledge_base.search(said, limit=1)
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
        """A time in the future and open; otherwise the next open times as numbered choices."""
        now = self._clock()
        said = str(value).strip()
        entry = self._entry(tracker)
        start = _offered_time(said)
        if start is None:
            parsed = parse_time(said, now=now)
            if parsed is None:
                earliest = booking_rules.earliest_opening(entry, now) if entry is not None else None
                if earliest is not None and booking_rules.wants_earliest(said):
                    return {c.BOOKING_TIME: earliest.isoformat()}
                dispatcher.utter_message(response="utter_time_not_understood")
                return {c.BOOKING_TIME: None}
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
            return self._offer_times(dispatcher, entry, start.replace(hour=0, minute=0, second=0, microsecond=0))
        return {c.BOOKING_TIME: start.isoformat()}

    def _offer_times(
        self, dispatcher: CollectingDispatcher, entry: ServiceEntry | None, after: datetime
    ) -> Dict[str, Any]:
        """The next open times from ``after`` on (never sooner than staff can come), to pick by number."""
        soonest = self._clock() + booking_rules.NOTICE
        openings = booking_rules.next_openings(entry, max(after, soonest)) if entry is not None else []
        if not openings:
            return {c.BOOKING_TIME: None}
        offer(dispatcher, "utter_time_offer", [time_choice(moment) for moment in openings])
        return {c.BOOKING_TIME: None, c.OPTIONS_SHOWN: True}

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


class ValidateComplaintForm(GuidedForm):
    """A complaint needs what happened and where; a phone is optional (anonymous allowed)."""

    def name(self) -> str:
        return "validate_complaint_form"

    def choices(self, slot: str, tracker: Tracker) -> List[Button]:
        return [{"title": "不留电话（匿名）", "payload": f"/{c.DENY}"}] if slot == c.PHONE else []

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


class ValidateSuggestionForm(GuidedForm):
    def name(self) -> str:
        return "validate_suggestion_form"

    def validate_suggestion_text(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[str, Any]:
        text = _typed(value)
        bare = text.replace("建议", "").replace("我有个", "").replace("我想提", "").strip(" ，。！？")
        return {c.SUGGESTION_TEXT: text if len(bare) >= c.MIN_COMPLAINT_DETAIL else None}


class ValidateMutualHelpForm(GuidedForm):
    """What is needed or offered, when, and how neighbours get in touch."""

    def name(self) -> str:
        return "validate_mutual_help_form"

    def choices(self, slot: str, tracker: Tracker) -> List[Button]:
        return [{"title": "在这里留言联系", "payload": f"/{c.DENY}"}] if slot == c.HELP_CONTACT else []

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
