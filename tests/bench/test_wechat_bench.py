"""The WeChat benchmark's wait for deferred answers: it must count tickets that land late,
and a duplicate that lands after the first ticket."""

from __future__ import annotations

import threading
import time
from typing import Callable

from bench.wechat import settled_ticket_counts
from tickets.db import migrate
from tickets.models import TicketKind
from tickets.schemas import TicketCreate
from tickets.service import TicketService


def _open(store: TicketService, sender_id: str) -> None:
    store.open_ticket(
        TicketCreate(kind=TicketKind.complaint, title="北门路灯不亮", channel="wechat", sender_id=sender_id)
    )


def _later(delay: float, call: Callable[[], None]) -> threading.Thread:
    def run() -> None:
        time.sleep(delay)
        call()

    thread = threading.Thread(target=run)
    thread.start()
    return thread


def test_counts_wait_for_every_resident_and_for_a_late_duplicate(sqlite_url):
    migrate(sqlite_url)
    store = TicketService(sqlite_url)
    _open(store, "oa")
    first = _later(0.5, lambda: _open(store, "ob"))
    duplicate = _later(1.0, lambda: _open(store, "ob"))

    counts = settled_ticket_counts(store, ["oa", "ob"], quiet=1.5, timeout=10)

    first.join()
    duplicate.join()
    assert counts == [1, 2]


def test_a_resident_without_a_ticket_is_counted_as_none_after_the_timeout(sqlite_url):
    migrate(sqlite_url)
    store = TicketService(sqlite_url)
    _open(store, "oa")

    assert settled_ticket_counts(store, ["oa", "oc"], quiet=0.2, timeout=1.0) == [1, 0]
