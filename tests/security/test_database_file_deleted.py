"""The ticket database's folder deleted (or its file replaced) while processes have it open: every
ticket number a caller was given is in the database at the configured path afterwards (real SQLite
files, the real ticket service, a second process writing at the same time)."""

from __future__ import annotations

import contextlib
import json
import shutil
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import List, Set

import pytest

from bot.runner import ROOT
from tickets.db import get_engine, migrate
from tickets.errors import TicketStoreUnavailable
from tickets.models import TicketKind
from tickets.schemas import TicketCreate
from tickets.service import TicketService
from tickets.sqlite_file import restored_marker

pytestmark = pytest.mark.security


def complaint(n: int) -> TicketCreate:
    return TicketCreate(kind=TicketKind.complaint, title=f"路灯不亮 {n}", sender_id=f"resident-{n}")


def file_tickets(service: TicketService, count: int, start: int = 0) -> List[str]:
    """The numbers confirmed; a refused write is told as such and not counted."""
    numbers = []
    for n in range(start, start + count):
        with contextlib.suppress(TicketStoreUnavailable):
            numbers.append(service.open_ticket(complaint(n)).number)
    return numbers


def stored_numbers(database: Path) -> Set[str]:
    """What a process started now would find (a new connection to the path)."""
    with sqlite3.connect(f"file:{database}?mode=ro", uri=True) as connection:
        return {row[0] for row in connection.execute("SELECT number FROM tickets")}


@pytest.fixture
def database(tmp_path) -> Path:
    path = tmp_path / "var" / "app.db"
    migrate(f"sqlite:///{path}")
    yield path
    get_engine(f"sqlite:///{path}").dispose()


def test_tickets_filed_after_the_folder_was_deleted_are_at_the_path(database):
    service = TicketService(f"sqlite:///{database}")
    before = file_tickets(service, 3)
    shutil.rmtree(database.parent)

    after = file_tickets(service, 5, start=3)
    get_engine(service.database_url).dispose()  # every process stops: only the path is left

    assert len(after) == 5  # restored at once, so nobody had to be turned away
    assert set(before + after) <= stored_numbers(database)
    assert json.loads(restored_marker(database).read_text())["restored"]


def test_a_replaced_file_is_used_from_then_on(database, tmp_path):
    service = TicketService(f"sqlite:///{database}")
    file_tickets(service, 2)
    other = tmp_path / "restored-backup.db"
    migrate(f"sqlite:///{other}")
    get_engine(f"sqlite:///{other}").dispose()
    for journal in ("-wal", "-shm"):  # an operator puts a backup in place (without the old journal)
        database.with_name(database.name + journal).unlink()
    other.replace(database)

    after = file_tickets(service, 3, start=2)
    get_engine(service.database_url).dispose()

    assert len(after) == 3 and stored_numbers(database) == set(after)
    assert not restored_marker(database).exists()  # someone else's file: nothing to restore


WRITER = textwrap.dedent(
    """
    import pathlib, sys, time
    from tickets.errors import TicketStoreUnavailable
    from tickets.models import TicketKind
    from tickets.schemas import TicketCreate
    from tickets.service import TicketService

    service = TicketService(sys.argv[1])
    writing = pathlib.Path(sys.argv[2])
    n = 0
    while writing.exists():
        n += 1
        try:
            ticket = service.open_ticket(TicketCreate(kind=TicketKind.complaint, title="噪音", sender_id=f"w{n}"))
        except TicketStoreUnavailable:
            print("refused", flush=True)
        else:
            print(ticket.number, flush=True)
        time.sleep(0.01)
    """
)


def test_two_processes_writing_through_the_deletion_lose_no_confirmed_ticket(database, tmp_path):
    url = f"sqlite:///{database}"
    writing = tmp_path / "writing"
    writing.touch()
    command = [sys.executable, "-c", WRITER, url, str(writing)]
    writer = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, text=True)
    service = TicketService(url)
    ours = file_tickets(service, 5)
    first = writer.stdout.readline().strip()  # the writer is writing through its own connections
    shutil.rmtree(database.parent)
    deadline = time.monotonic() + 4
    while time.monotonic() < deadline:
        ours += file_tickets(service, 3, start=len(ours))
        time.sleep(0.05)
    writing.unlink()
    theirs = [line for line in [first, *writer.communicate(timeout=60)[0].split()] if line != "refused"]
    get_engine(url).dispose()

    assert writer.returncode == 0 and len(theirs) > 20
    assert set(ours + theirs) <= stored_numbers(database)
