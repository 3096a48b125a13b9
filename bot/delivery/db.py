"""Engines and transactions for the channel state; tables are created on first use."""

from __future__ import annotations

import logging
import threading
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import Dict, Iterator

from sqlalchemy import event, text
from sqlalchemy.engine import Engine, create_engine, make_url
from sqlalchemy.orm import Session, sessionmaker

from bot.delivery.tables import Base

logger = logging.getLogger(__name__)


def _prepare_sqlite(engine: Engine) -> None:
    """WAL and a busy timeout so the Rasa and action processes can share the file."""

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=15000")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection) -> None:  # type: ignore[no-untyped-def]
        connection.exec_driver_sql("BEGIN IMMEDIATE")


_engines: Dict[str, Engine] = {}
_engines_lock = threading.Lock()
# Serialises table creation between processes starting at once on PostgreSQL (an arbitrary constant).
_SCHEMA_LOCK_KEY = 7_265_381


def get_engine(database_url: str) -> Engine:
    """One engine per URL and process, with the channel tables present."""
    with _engines_lock:
        if database_url not in _engines:
            _engines[database_url] = _create_engine(database_url)
        return _engines[database_url]


def _create_engine(database_url: str) -> Engine:
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        if url.database and url.database != ":memory:":
            Path(url.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, future=True, connect_args={"check_same_thread": False})
        _prepare_sqlite(engine)
    else:
        engine = create_engine(url, future=True, pool_pre_ping=True)
    with engine.begin() as connection:  # on SQLite, BEGIN IMMEDIATE already serialises this
        if connection.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _SCHEMA_LOCK_KEY})
        Base.metadata.create_all(connection)
    logger.debug("channel state tables ready")
    return engine


def ensure_schema(database_url: str) -> None:
    """Create the channel tables now (a channel calls this at start so errors show early)."""
    get_engine(database_url)


@cache
def _sessions(database_url: str) -> sessionmaker:
    return sessionmaker(bind=get_engine(database_url), future=True, expire_on_commit=False)


@contextmanager
def session_scope(database_url: str) -> Iterator[Session]:
    """A transaction that commits on success and rolls back on any error."""
    session: Session = _sessions(database_url)()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
