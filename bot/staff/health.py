"""Health that tells the truth: ``/healthz`` asks every part a resident's message needs.

Rasa and the action server over HTTP with a short timeout (a hung server is as bad as a dead
one), the ticket store and Rasa's conversation store with a real write that is rolled back (a
database that still answers reads but cannot store a complaint is not healthy; Rasa then keeps
conversations in memory only), the Redis lock store when one is set. A ticket database that was
deleted while in use and restored (tickets/sqlite_file.py) stays "restored" until an operator
removes the marker beside it. 200 when all are fine, 503 naming each part's state otherwise; also
how often the supervisor of `python -m bot run` restarted each server. ``/livez`` only says that
this process answers.
"""

from __future__ import annotations

import asyncio
import json
import logging
import sqlite3
from functools import cache
from pathlib import Path
from typing import Dict

import httpx
import redis
from fastapi import APIRouter
from fastapi.responses import JSONResponse
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.pool import NullPool

from bot.settings import Settings
from tickets import holidays, sqlite_file

logger = logging.getLogger(__name__)

TIMEOUT_SECONDS = 2.0
UP, DOWN, TIMEOUT, NOT_USED, RESTORED = "up", "down", "timeout", "not used", "restored"
# A write that changes nothing, in a transaction that is rolled back: it needs the write lock and
# a writable file, like storing a ticket does. The table exists once the schema is migrated.
WRITE_PROBE = text("UPDATE alembic_version SET version_num = version_num")


@cache
def _probe_engine(database_url: str) -> Engine:
    """A fresh connection per check: a pooled one opened earlier may still write to a file that
    has become read-only since, where every newly started process could not."""
    path = _sqlite_file(database_url)
    if path is None:
        return create_engine(database_url, future=True, poolclass=NullPool)

    def connect_without_creating() -> sqlite3.Connection:  # a probe must not put an empty file at the path
        return sqlite3.connect(f"file:{path}?mode=rw", uri=True, timeout=TIMEOUT_SECONDS)

    return create_engine("sqlite://", future=True, poolclass=NullPool, creator=connect_without_creating)


def _sqlite_file(database_url: str) -> Path | None:
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        return None
    return Path(url.database)


def database_state(database_url: str) -> str:
    try:
        with _probe_engine(database_url).connect() as connection:
            connection.execute(WRITE_PROBE)
            connection.rollback()
    except Exception as exc:  # any failure means the store cannot take a ticket; the reason goes to the log
        logger.warning("health: ticket store cannot write: %s", exc.__class__.__name__)
        return DOWN
    path = _sqlite_file(database_url)
    if path is not None and sqlite_file.restored_marker(path).exists():
        return RESTORED
    return UP


def tracker_store_state(tracker_db: str) -> str:
    """Rasa's conversation store takes a write (else Rasa saves conversations in memory only)."""
    try:
        sqlite_file.check_writable(Path(tracker_db), TIMEOUT_SECONDS)
    except sqlite3.Error as exc:
        logger.warning("health: conversation store cannot write: %s", exc)
        return DOWN
    return UP


def lock_store_state(url: str | None) -> str:
    if not url:
        return NOT_USED
    client = redis.Redis.from_url(url, socket_connect_timeout=TIMEOUT_SECONDS, socket_timeout=TIMEOUT_SECONDS)
    try:
        client.ping()
    except redis.TimeoutError:
        return TIMEOUT
    except redis.RedisError as exc:
        logger.warning("health: Redis lock store: %s", exc.__class__.__name__)
        return DOWN
    finally:
        client.close()
    return UP


async def http_state(client: httpx.AsyncClient, url: str) -> str:
    try:
        response = await client.get(url)
    except httpx.TimeoutException:
        return TIMEOUT
    except httpx.HTTPError as exc:
        logger.warning("health: %s: %s", url, exc.__class__.__name__)
        return DOWN
    return UP if response.status_code == 200 else DOWN


def restarts(status_file: Path) -> Dict[str, int] | None:
    """How often the supervisor restarted each server; None when no supervisor runs us."""
    try:
        status = json.loads(status_file.read_text(encoding="utf-8"))
        return {name: int(service["restarts"]) for name, service in status["services"].items()}
    except (OSError, ValueError, KeyError, TypeError):
        return None


def health_router(settings: Settings) -> APIRouter:
    router = APIRouter()
    action_health_url = f"http://{settings.bind_host}:{settings.action_port}/health"

    @router.get("/healthz")
    async def healthz() -> JSONResponse:
        """200 when Rasa, the action server, the ticket and conversation stores and the lock store all
        work; else 503.
        ``holiday_warning`` says when the coming weeks lack a holiday table (deadlines then count
        Monday to Friday): a warning for staff, not a failure."""
        async with httpx.AsyncClient(timeout=TIMEOUT_SECONDS) as client:
            database, tracker_store, lock_store, rasa, actions = await asyncio.gather(
                asyncio.to_thread(database_state, settings.database_url),
                asyncio.to_thread(tracker_store_state, settings.tracker_db),
                asyncio.to_thread(lock_store_state, settings.rasa_lock_store_url),
                http_state(client, f"{settings.rasa_url}/webhooks/rest/"),
                http_state(client, action_health_url),
            )
        parts = {
            "database": database,
            "tracker_store": tracker_store,
            "rasa": rasa,
            "actions": actions,
            "lock_store": lock_store,
        }
        healthy = all(state in (UP, NOT_USED) for state in parts.values())
        body: Dict[str, object] = {"status": "ok" if healthy else "degraded", **parts}
        body["holiday_warning"] = holidays.staff_warning()
        counted = restarts(Path(settings.supervisor_status_file))
        if counted is not None:
            body["restarts"] = counted
        return JSONResponse(body, status_code=200 if healthy else 503)

    @router.get("/livez")
    def livez() -> Dict[str, str]:
        """This process answers (what the supervisor waits for; /healthz also judges the others)."""
        return {"status": "ok"}

    return router
