"""Engines and transactions: the one place that knows how to talk to the database."""

from __future__ import annotations

import logging
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import Iterator

from alembic import command
from alembic.config import Config
from sqlalchemy import event
from sqlalchemy.engine import Engine, create_engine, make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import QueuePool

from tickets import sqlite_file
from tickets.errors import TicketStoreUnavailable

logger = logging.getLogger(__name__)

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def _prepare_sqlite(engine: Engine) -> None:
    """WAL for concurrent readers; BEGIN IMMEDIATE so two writers queue instead of deadlocking."""

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=15000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection) -> None:  # type: ignore[no-untyped-def]
        connection.exec_driver_sql("BEGIN IMMEDIATE")


@cache
def get_engine(database_url: str) -> Engine:
    """One engine (and connection pool) per database URL and process."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        options = {}
        if url.database and url.database != ":memory:":
            Path(url.database).parent.mkdir(parents=True, exist_ok=True)
            # Connections stay open: SQLAlchemy 1.4 would open and close one per transaction, and
            # closing the last connection to a WAL file checkpoints it, a few ms of every ticket write.
            # Five are kept; a burst beyond them opens more (closed again after use) instead of waiting.
            options.update(poolclass=QueuePool, pool_size=5, max_overflow=-1)
        engine = create_engine(url, future=True, connect_args={"check_same_thread": False}, **options)
        _prepare_sqlite(engine)
        if url.database and url.database != ":memory:":
            sqlite_file.guard(engine, Path(url.database))
    else:
        engine = create_engine(url, future=True, pool_pre_ping=True)
    return engine


@cache
def _session_factory(database_url: str) -> sessionmaker:
    return sessionmaker(bind=get_engine(database_url), future=True, expire_on_commit=False)


@contextmanager
def session_scope(database_url: str) -> Iterator[Session]:
    """A transaction that commits on success, rolls back on error and always closes.

    Database failures leave as :class:`TicketStoreUnavailable`, so callers can
    tell the resident honestly that nothing was stored.
    """
    session: Session = _session_factory(database_url)()
    try:
        yield session
        session.commit()
    except DBAPIError as exc:
        session.rollback()
        logger.error("ticket store failure: %s", exc.__class__.__name__)
        raise TicketStoreUnavailable(str(exc.orig)) from exc
    except sqlite_file.DatabaseFileMoved as exc:  # logged where it was noticed
        session.rollback()
        raise TicketStoreUnavailable(f"database file {exc} was deleted or replaced") from exc
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def migrate(database_url: str) -> None:
    """Bring the schema to the newest Alembic revision (cheap when it already is)."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    with get_engine(database_url).begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
    logger.info("ticket store schema is current")
