"""Shared fixtures: real databases (a SQLite file per test, a fresh PostgreSQL database)."""

from __future__ import annotations

import os
import uuid
from datetime import datetime, timezone
from typing import Callable, Iterator

import pytest
import sqlalchemy

from tickets.service import TicketService

POSTGRES_ADMIN_URL = os.environ.get("TEST_POSTGRES_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres")


@pytest.fixture
def sqlite_url(tmp_path) -> str:
    return f"sqlite:///{tmp_path / 'tickets.db'}"


@pytest.fixture(scope="session")
def postgres_admin() -> Iterator[sqlalchemy.engine.Engine]:
    engine = sqlalchemy.create_engine(POSTGRES_ADMIN_URL, future=True, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            connection.execute(sqlalchemy.text("SELECT 1"))
    except sqlalchemy.exc.OperationalError as exc:
        if os.environ.get("CI"):
            raise
        pytest.skip(f"PostgreSQL is not reachable at {POSTGRES_ADMIN_URL}: {exc.orig}")
    yield engine
    engine.dispose()


@pytest.fixture
def postgres_url(postgres_admin) -> Iterator[str]:
    name = f"shequtong_test_{uuid.uuid4().hex[:10]}"
    with postgres_admin.connect() as connection:
        connection.execute(sqlalchemy.text(f'CREATE DATABASE "{name}"'))
    url = postgres_admin.url.set(database=name).render_as_string(hide_password=False)
    yield url
    from tickets.db import get_engine

    get_engine(url).dispose()
    with postgres_admin.connect() as connection:
        connection.execute(sqlalchemy.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request) -> str:
    """Store tests run on both databases the project supports."""
    return request.getfixturevalue(f"{request.param}_url" if request.param == "sqlite" else "postgres_url")


class Clock:
    """A settable clock, so deadlines and day boundaries can be tested exactly."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock(datetime(2026, 11, 30, 2, 0, tzinfo=timezone.utc))  # Monday 10:00 in Shanghai


@pytest.fixture
def service_factory(clock) -> Callable[[str], TicketService]:
    def build(url: str) -> TicketService:
        return TicketService(url, clock=clock)

    return build


@pytest.fixture
def tickets(database_url, service_factory) -> TicketService:
    return service_factory(database_url)
