"""The chat's data-rights actions with real trackers and a real SQLite store: only the writing
resident's own data is shown or erased, and a store that is down gets the polite answer."""

from __future__ import annotations

import asyncio

import pytest
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import select

from actions.privacy import ActionEraseMyData, ActionOfferErasure, ActionShowMyData
from bot.delivery import outbox
from tests.actions.helpers import BrokenStore, responses, tracker
from tickets.db import session_scope
from tickets.models import ConversationErasure, Ticket, TicketKind
from tickets.schemas import TicketCreate
from tickets.service import TicketService


@pytest.fixture
def store(sqlite_url) -> TicketService:
    return TicketService(sqlite_url)


def file(store: TicketService, sender: str, phone: str) -> str:
    return store.open_ticket(
        TicketCreate(
            kind=TicketKind.complaint,
            title="路灯坏了",
            description="路灯坏了",
            address="3栋2单元501",
            sender_id=sender,
            contact_phone=phone,
        )
    ).number


def run(action, sender: str, slots=None):  # type: ignore[no-untyped-def]
    dispatcher = CollectingDispatcher()
    events = asyncio.run(action.run(dispatcher, tracker(sender=sender, slots=slots), {}))
    return dispatcher, events


def test_what_is_kept_is_the_writers_own_and_masked(store):
    file(store, "resident-1", "13812345678")
    file(store, "resident-2", "13900001111")

    dispatcher, _ = run(ActionShowMyData(store), "resident-1")

    [message] = dispatcher.messages
    assert message["response"] == "utter_my_data"
    assert (message["tickets"], message["open"], message["phones"]) == (1, 1, "138****5678")
    assert message["buildings"] == "3栋" and message["names"] == "没有"
    assert "1111" not in str(message)


def test_nothing_kept_says_so(store):
    assert responses(run(ActionShowMyData(store), "resident-new")[0]) == ["utter_no_data_kept"]


def test_the_offer_warns_of_open_tickets_and_erases_nothing(store):
    number = file(store, "resident-1", "13812345678")

    dispatcher, _ = run(ActionOfferErasure(store), "resident-1")

    assert responses(dispatcher) == ["utter_erase_open_tickets", "utter_confirm_erase"]
    assert dispatcher.messages[0]["open"] == 1
    assert store.ticket_of(sender_id="resident-1", number=number).number == number


def test_erasing_anonymises_forgets_messages_queues_the_conversation_and_clears_slots(store):
    number = file(store, "resident-1", "13812345678")
    file(store, "resident-2", "13900001111")
    outbox.enqueue(store.database_url, "rasa", "resident-1", {"events": []})

    dispatcher, events = run(ActionEraseMyData(store), "resident-1", slots={"phone": "13812345678"})

    assert responses(dispatcher) == ["utter_data_erased"]
    assert {"event": "slot", "name": "phone", "value": None, "timestamp": None} in events
    assert store.tickets_of("resident-1") == [] and len(store.tickets_of("resident-2")) == 1
    assert outbox.pending_messages(store.database_url) == []
    with session_scope(store.database_url) as session:
        assert session.execute(select(Ticket.contact_phone).where(Ticket.number == number)).scalar_one() is None
        assert session.execute(select(ConversationErasure.sender_id)).scalars().all() == ["resident-1"]


def test_a_store_that_is_down_gets_the_polite_answer():
    dispatcher, _ = run(ActionEraseMyData(BrokenStore()), "resident-1")
    assert responses(dispatcher) == ["utter_store_unavailable"]
