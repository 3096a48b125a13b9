"""The conversation store writes and reads exactly what Rasa's own SQL store does, only cheaper."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import pytest
from rasa.core.tracker_store import SQLTrackerStore, create_tracker_store
from rasa.core.utils import read_endpoints_from_path
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (
    ActionExecuted,
    BotUttered,
    SessionStarted,
    SlotSet,
    UserUttered,
)
from rasa.shared.core.trackers import DialogueStateTracker

from bot.runner import ROOT
from bot.settings import Settings
from bot.tracker_store import SQLiteTrackerStore

DOMAIN = Domain.from_yaml(
    """
version: "3.1"
intents: [greet]
slots:
  address:
    type: text
    mappings: [{type: from_text}]
responses:
  utter_greet: [{text: 您好}]
"""
)


def turn(text: str, answer: str, address: str | None = None) -> list:
    events = [UserUttered(text, {"name": "greet", "confidence": 0.9}), ActionExecuted("utter_greet")]
    events.append(BotUttered(answer))
    if address:
        events.append(SlotSet("address", address))
    return [*events, ActionExecuted("action_listen")]


def run(coroutine):
    return asyncio.run(coroutine)


def stored_rows(db: Path) -> list:
    with sqlite3.connect(db) as connection:
        return connection.execute(
            "SELECT sender_id, type_name, timestamp, intent_name, action_name, data FROM events ORDER BY id"
        ).fetchall()


def converse(store, sender: str) -> DialogueStateTracker:
    """Three messages the way Rasa handles them: read (or create), update, save."""

    async def go() -> DialogueStateTracker:
        tracker = await store.get_or_create_tracker(sender)
        for text, answer, address in [("你好", "您好", None), ("北门", "好的", "北门"), ("谢谢", "不客气", None)]:
            tracker = await store.retrieve(sender)
            tracker.update_with_events(turn(text, answer, address), DOMAIN)
            await store.save(tracker)
        return tracker

    return run(go())


def test_rows_are_the_same_as_rasas_own_store_writes(tmp_path):
    ours, theirs = tmp_path / "ours.db", tmp_path / "theirs.db"
    converse(SQLiteTrackerStore(domain=DOMAIN, db=str(ours)), "resident-1")
    converse(SQLTrackerStore(domain=DOMAIN, db=str(theirs)), "resident-1")

    def comparable(rows: list) -> list:  # timestamps differ between the two runs
        return [(sender, kind, intent, action) for sender, kind, _, intent, action, _ in rows]

    assert comparable(stored_rows(ours)) == comparable(stored_rows(theirs))
    assert len(stored_rows(ours)) == 1 + 3 * 4 + 1  # a listen at creation, 3 turns, one slot


def test_each_event_is_stored_once_and_reads_back_in_both_stores(tmp_path):
    db = tmp_path / "trackers.db"
    ours = SQLiteTrackerStore(domain=DOMAIN, db=str(db))
    written = converse(ours, "resident-2")
    assert len(stored_rows(db)) == len(written.events)

    for store in (ours, SQLTrackerStore(domain=DOMAIN, db=str(db))):
        read = run(store.retrieve("resident-2"))
        assert [event.as_dict() for event in read.events] == [event.as_dict() for event in written.events]
        assert read.get_slot("address") == "北门"


def test_a_tracker_it_did_not_read_is_compared_with_the_database(tmp_path):
    """Trackers built elsewhere (the HTTP API replacing events, a test) are counted, as by Rasa."""
    db = tmp_path / "trackers.db"
    store = SQLiteTrackerStore(domain=DOMAIN, db=str(db))
    written = converse(store, "resident-3")
    rebuilt = DialogueStateTracker.from_dict("resident-3", [e.as_dict() for e in written.events], DOMAIN.slots)
    rebuilt.update_with_events(turn("再见", "再见"), DOMAIN)
    run(store.save(rebuilt))
    assert len(stored_rows(db)) == len(rebuilt.events)


def test_a_new_session_is_read_from_its_start(tmp_path):
    """What a proactive message appends: a new session, then the message."""
    db = tmp_path / "trackers.db"
    store = SQLiteTrackerStore(domain=DOMAIN, db=str(db))
    converse(store, "resident-4")
    tracker = run(store.retrieve("resident-4"))
    new_session = [ActionExecuted("action_session_start"), SessionStarted(), ActionExecuted("action_listen")]
    tracker.update_with_events([*new_session, BotUttered("已办结")], DOMAIN)
    run(store.save(tracker))
    latest = run(store.retrieve("resident-4"))
    assert [event.type_name for event in latest.events] == ["session_started", "action", "bot"]
    full = run(store.retrieve_full_tracker("resident-4"))
    assert len(full.events) == len(stored_rows(db)) == len(tracker.events)


def test_the_file_is_in_wal_mode_and_survives_a_new_store(tmp_path):
    db = tmp_path / "trackers.db"
    converse(SQLiteTrackerStore(domain=DOMAIN, db=str(db)), "resident-5")
    with sqlite3.connect(db) as connection:
        assert connection.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    assert run(SQLiteTrackerStore(domain=DOMAIN, db=str(db)).retrieve("resident-5")).get_slot("address") == "北门"


def test_endpoints_yml_names_this_store(tmp_path, monkeypatch):
    """Rasa silently falls back to a memory store when the class cannot be imported."""
    for name, value in Settings(tracker_db=str(tmp_path / "trackers.db")).lock_store_environment().items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("TRACKER_DB", str(tmp_path / "trackers.db"))
    monkeypatch.setenv("ACTION_ENDPOINT_URL", "http://127.0.0.1:5055/webhook")
    endpoints = read_endpoints_from_path(ROOT / "endpoints.yml")
    store = create_tracker_store(endpoints.tracker_store, DOMAIN)
    assert isinstance(store, SQLiteTrackerStore)
    assert store.engine.url.database == str(tmp_path / "trackers.db")


@pytest.mark.parametrize("database", ["", ":memory:"])
def test_a_memory_database_keeps_rasas_engine(database):
    store = SQLiteTrackerStore(domain=DOMAIN, db=database)
    assert len(converse(store, "resident-6").events) == 14


def test_only_a_new_conversation_is_counted_in_the_database(tmp_path, monkeypatch):
    """Saving the tracker it just read needs no count of the stored events."""
    counted = []
    original = SQLTrackerStore._additional_events

    def counting(self, session, tracker):
        counted.append(tracker.sender_id)
        return original(self, session, tracker)

    monkeypatch.setattr(SQLTrackerStore, "_additional_events", counting)
    converse(SQLiteTrackerStore(domain=DOMAIN, db=str(tmp_path / "trackers.db")), "resident-7")
    assert counted == ["resident-7"]  # the save of the newly created tracker only


def test_replacing_the_events_with_none_erases_only_that_conversation(tmp_path):
    """What Rasa's PUT /conversations/{id}/tracker/events with [] saves when a resident's data is erased."""
    db = tmp_path / "trackers.db"
    store = SQLiteTrackerStore(domain=DOMAIN, db=str(db))
    converse(store, "resident-8")
    converse(store, "resident-9")

    run(store.save(DialogueStateTracker.from_dict("resident-8", [], DOMAIN.slots)))

    assert {row[0] for row in stored_rows(db)} == {"resident-9"}
    assert run(store.retrieve("resident-8")) is None
    again = converse(store, "resident-8")  # the resident may start afresh
    assert len(stored_rows(db)) == 2 * len(again.events)
