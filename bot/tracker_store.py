"""Conversations on disk: Rasa's ``SQLTrackerStore`` without the work it repeats on every message.

The same table and rows as Rasa's own store (``endpoints.yml`` names this class instead of
``type: SQL``; an existing ``var/trackers.db`` keeps working, and the HTTP API reads and appends
trackers through it as before). Per message Rasa's store costs about 8 ms here, this one 2-3 ms:

* SQLite: one connection kept open (Rasa's engine opens and closes a file connection per query)
  in WAL mode with ``synchronous=NORMAL``, as the ticket store does: a commit no longer waits for
  the disk, and readers never wait for the writer. A crash of the process loses nothing; a
  power cut may lose the last moments of conversations, never the file's consistency.
* Saving: Rasa counts the stored events of the conversation (a query with a sub-query) to find
  the new ones. The tracker it saves is the one this store just read or saved, so the count is
  already known; a tracker of unknown origin is still counted. New rows go in one ``INSERT``.
* Reading: only the ``data`` column, without building an ORM object per event.
* Erasing: Rasa's ``PUT /conversations/{id}/tracker/events`` with ``[]`` saves a tracker without
  events, which Rasa's SQL store ignores (it only ever appends); here it deletes the conversation's
  rows, as a resident's erasure needs (:mod:`bot.staff.privacy`). Rasa itself never saves an empty
  tracker of a stored conversation: a new one is only created when none is stored.

Another database (``dialect: postgresql``) gets the saving shortcut and Rasa's engine otherwise.

A SQLite file that cannot be written is said at ERROR when Rasa starts: Rasa still starts, but its
``FailSafeTrackerStore`` then saves each turn in memory while reading the conversation from this
store, so every message is answered without what came before; ``/healthz`` reports
``tracker_store: down``.
"""

from __future__ import annotations

import itertools
import json
import logging
import sqlite3
import weakref
from pathlib import Path
from typing import Any, Dict, Iterator, Tuple

import sqlalchemy as sa
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.events import SessionStarted
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.constants import INTENT_NAME_KEY
from sqlalchemy import event
from sqlalchemy.pool import QueuePool

from tickets.sqlite_file import check_writable

logger = logging.getLogger(__name__)

_SQLITE_PRAGMAS = (
    "PRAGMA journal_mode=WAL",
    "PRAGMA synchronous=NORMAL",
    # Several Rasa workers (SANIC_WORKERS) share the file: a writer waits for another, not fails.
    "PRAGMA busy_timeout=15000",
)


def _prepare_sqlite(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    for pragma in _SQLITE_PRAGMAS:
        cursor.execute(pragma)
    cursor.close()


def _is_sqlite_file(engine: sa.engine.Engine) -> bool:
    return engine.dialect.name == "sqlite" and engine.url.database not in (None, "", ":memory:")


def _say_if_not_writable(path: Path) -> None:
    try:
        check_writable(path, timeout=15)
    except sqlite3.Error as exc:
        logger.error(
            "conversation store %s cannot be written (%s): Rasa answers each message without what came "
            "before it (a form forgets earlier answers) until it can; /healthz says tracker_store: down",
            path,
            exc,
        )


class SQLiteTrackerStore(SQLTrackerStore):
    """``SQLTrackerStore`` tuned for a local SQLite file; see the module's docstring."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if _is_sqlite_file(self.engine):
            url = self.engine.url
            self.engine.dispose()
            # Rasa uses the store only from its event loop's thread, one query at a time.
            self.engine = sa.create_engine(
                url, poolclass=QueuePool, pool_size=1, max_overflow=4, connect_args={"check_same_thread": False}
            )
            event.listen(self.engine, "connect", _prepare_sqlite)
            self.sessionmaker = sa.orm.session.sessionmaker(bind=self.engine)
            _say_if_not_writable(Path(url.database))
        events = self.SQLEvent.__table__
        self._insert = events.insert()
        latest_session_start = (
            sa.select(sa.func.max(events.c.timestamp))
            .where(events.c.sender_id == sa.bindparam("sender_id"))
            .where(events.c.type_name == SessionStarted.type_name)
            .scalar_subquery()
        )
        by_sender = sa.select(events.c.data).where(events.c.sender_id == sa.bindparam("sender_id"))
        self._all_sessions_query = by_sender.order_by(events.c.id)
        self._latest_session_query = by_sender.where(
            sa.or_(events.c.timestamp >= latest_session_start, latest_session_start.is_(None))
        ).order_by(events.c.id)
        # sender id -> (the tracker object last read or saved here, how many of its events are stored)
        self._stored: Dict[str, Tuple[weakref.ReferenceType[DialogueStateTracker], int]] = {}

    async def _retrieve(self, sender_id: str, fetch_events_from_all_sessions: bool) -> DialogueStateTracker | None:
        query = self._all_sessions_query if fetch_events_from_all_sessions else self._latest_session_query
        with self.session_scope() as session:
            rows = session.execute(query, {"sender_id": sender_id}).scalars().all()
        if not self.domain or not rows:
            logger.debug("no stored conversation %s", sender_id)
            return None
        tracker = DialogueStateTracker.from_dict(sender_id, [json.loads(row) for row in rows], self.domain.slots)
        if not fetch_events_from_all_sessions:
            self._remember(tracker)
        return tracker

    async def save(self, tracker: DialogueStateTracker) -> None:
        """Store the events of ``tracker`` the database does not have yet; no events at all erase it."""
        if not tracker.events:
            self._erase(tracker.sender_id)
            return
        await self.stream_events(tracker)
        with self.session_scope() as session:
            new_events = self._additional_events(session, tracker)
            rows = [self._row(tracker.sender_id, event.as_dict(), event.type_name) for event in new_events]
            if rows:
                session.execute(self._insert, rows)
            session.commit()
        self._remember(tracker)

    def _erase(self, sender_id: str) -> None:
        events = self.SQLEvent.__table__
        with self.session_scope() as session:
            erased = session.execute(events.delete().where(events.c.sender_id == sender_id)).rowcount
            session.commit()
        self._stored.pop(sender_id, None)
        logger.info("conversation emptied (%d events)", erased)

    def _additional_events(self, session: Any, tracker: DialogueStateTracker) -> Iterator:
        stored = self._known_stored_count(tracker)
        if stored is None:
            return super()._additional_events(session, tracker)
        return itertools.islice(tracker.events, stored, len(tracker.events))

    @staticmethod
    def _row(sender_id: str, data: Dict[str, Any], type_name: str) -> Dict[str, Any]:
        """The columns Rasa's own store writes for an event."""
        return {
            "sender_id": sender_id,
            "type_name": type_name,
            "timestamp": data.get("timestamp"),
            "intent_name": data.get("parse_data", {}).get("intent", {}).get(INTENT_NAME_KEY),
            "action_name": data.get("name"),
            "data": json.dumps(data),
        }

    def _remember(self, tracker: DialogueStateTracker) -> None:
        sender_id = tracker.sender_id

        def forget(reference: weakref.ReferenceType[DialogueStateTracker]) -> None:
            if self._stored.get(sender_id, (None,))[0] is reference:
                del self._stored[sender_id]

        self._stored[sender_id] = (weakref.ref(tracker, forget), len(tracker.events))

    def _known_stored_count(self, tracker: DialogueStateTracker) -> int | None:
        """How many of the tracker's events are stored, when this store read or saved that very object."""
        reference, stored = self._stored.get(tracker.sender_id, (None, 0))
        if reference is None or reference() is not tracker or stored > len(tracker.events):
            return None
        return stored
