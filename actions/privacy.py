"""Residents' data rights in the chat: what is kept about the resident writing, and its erasure.

Only ever the data of the conversation's own sender id, so nobody sees another resident's data.
The erasure runs only after the resident said yes to :class:`ActionOfferErasure` (data/rules.yml).
"""

from __future__ import annotations

from typing import Iterable

from rasa_sdk.events import SlotSet

from actions import constants as c
from actions.actions import ServiceAction
from bot.privacy import erase_resident
from tickets.privacy import ResidentData

NOTHING = "没有"
# Slots that may hold what the resident told: cleared at once; the conversation follows shortly.
PERSONAL_SLOTS = (
    *c.BOOKING_SLOTS,
    c.COMPLAINT_TEXT,
    c.SUGGESTION_TEXT,
    c.HELP_TEXT,
    c.HELP_TIME,
    c.HELP_CONTACT,
    c.CANCEL_CANDIDATE,
    c.RATING_TICKET,
)


def _listed(values: Iterable[str]) -> str:
    return "、".join(values) or NOTHING


class PrivacyAction(ServiceAction):
    """An action on the resident's own data (abstract: not registered)."""

    @property
    def data(self) -> ResidentData:
        return ResidentData(self.tickets)


class ActionShowMyData(PrivacyAction):
    def name(self) -> str:
        return "action_show_my_data"

    def act(self, dispatcher, tracker, domain):  # type: ignore[no-untyped-def]
        kept = self.data.kept(tracker.sender_id)
        if kept.empty:
            dispatcher.utter_message(response="utter_no_data_kept")
            return []
        dispatcher.utter_message(
            response="utter_my_data",
            tickets=kept.tickets,
            bookings=kept.bookings,
            open=kept.open_tickets,
            posts=kept.posts,
            feedback=kept.feedback,
            phones=_listed(kept.phones),
            names=_listed(kept.names),
            buildings=_listed(kept.buildings),
        )
        return []


class ActionOfferErasure(PrivacyAction):
    """Says what erasing means (open tickets lose their news) and asks for a yes."""

    def name(self) -> str:
        return "action_offer_erasure"

    def act(self, dispatcher, tracker, domain):  # type: ignore[no-untyped-def]
        kept = self.data.kept(tracker.sender_id)
        if kept.open_tickets:
            dispatcher.utter_message(response="utter_erase_open_tickets", open=kept.open_tickets)
        dispatcher.utter_message(response="utter_confirm_erase")
        return []


class ActionEraseMyData(PrivacyAction):
    def name(self) -> str:
        return "action_erase_my_data"

    def act(self, dispatcher, tracker, domain):  # type: ignore[no-untyped-def]
        erase_resident(self.data, tracker.sender_id, actor="resident")
        dispatcher.utter_message(response="utter_data_erased")
        return [SlotSet(slot, None) for slot in PERSONAL_SLOTS]
