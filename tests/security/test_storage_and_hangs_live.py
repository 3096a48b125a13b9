"""`python -m bot run` on a bad day: the ticket database's folder deleted while residents file
complaints, a hung (SIGSTOP'd) action server, and Rasa started on a conversation store it cannot
write. Real runner, real servers, real SQLite files (tests/e2e/test_supervision.py for kill -9)."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Iterator

import httpx
import pytest

from bot.runner import ROOT
from bot.tracker_store import SQLiteTrackerStore
from tests.e2e.test_supervision import TICKET_NUMBER, Stack, resident
from tests.live import MODEL, START_TIMEOUT_SECONDS, running_assistant, settings_for
from tests.staff.test_health import read_only
from tickets.sqlite_file import restored_marker

pytestmark = [pytest.mark.e2e, pytest.mark.security]

PROBE_SECONDS, FAILURES = 1, 3  # a hung server is killed after about 3-6 s


@pytest.fixture(scope="module")
def stack(tmp_path_factory) -> Iterator[Stack]:
    if not MODEL.exists():
        pytest.fail("no trained model at models/current.tar.gz")
    workdir = tmp_path_factory.mktemp("bad-day")
    settings = settings_for(
        workdir,
        liveness_probe_seconds=PROBE_SECONDS,
        liveness_failures=FAILURES,
        action_timeout_seconds=4,
        turn_timeout_seconds=3,
        alert_confirm_seconds=1,
    ).copy(update={"database_url": f"sqlite:///{workdir / 'var' / 'app.db'}"})  # a folder of its own to delete
    env = {
        **{name: value for name, value in os.environ.items() if name != "RASA_API_TOKEN"},
        **settings.as_environment(),
        "PYTHONPATH": str(ROOT),
        "HF_HUB_OFFLINE": "1",
        "RASA_TELEMETRY_ENABLED": "false",
    }
    output = workdir / "runner.out"
    with open(output, "wb") as sink:
        runner = subprocess.Popen(
            [sys.executable, "-m", "bot", "run"], cwd=ROOT, env=env, stdout=sink, stderr=subprocess.STDOUT
        )
    running = Stack(settings, runner, output, {})
    try:
        running.seconds_until_healthy(time.monotonic(), START_TIMEOUT_SECONDS)
        yield running
    finally:
        runner.send_signal(signal.SIGTERM)
        try:
            runner.wait(timeout=60)
        except subprocess.TimeoutExpired:
            runner.kill()
            runner.wait()


def stored_numbers(database: Path) -> set:
    with sqlite3.connect(f"file:{database}?mode=ro", uri=True) as connection:
        return {row[0] for row in connection.execute("SELECT number FROM tickets")}


def test_every_confirmed_ticket_is_at_the_path_after_its_folder_was_deleted(stack):
    database = Path(stack.settings.database_url.removeprefix("sqlite:///"))
    stack.complain(resident())
    shutil.rmtree(database.parent)

    for _ in range(4):
        stack.complain(resident())

    assert len(stack.acknowledged) == 5
    assert set(stack.acknowledged) <= stored_numbers(database)
    body = stack.health().json()
    assert body["database"] == "restored" and body["status"] == "degraded"
    restored_marker(database).unlink()  # the operator had a look
    assert stack.health().status_code == 200


def test_a_hung_action_server_is_replaced_and_residents_are_answered_meanwhile(stack):
    hung = stack.pid("actions")
    os.kill(hung, signal.SIGSTOP)
    try:
        honest = " ".join(stack.say(resident(), "楼上天天半夜装修太吵了"))
        assert stack.settings.duty_phone in honest
        deadline = time.monotonic() + 60
        while stack.status()["services"]["actions"]["hung_kills"] < 1:
            assert time.monotonic() < deadline, stack.status()
            time.sleep(0.5)
        stack.seconds_until_healthy(time.monotonic(), 30)
    finally:
        with contextlib.suppress(ProcessLookupError):  # killed: nothing to resume
            os.kill(hung, signal.SIGCONT)
    with pytest.raises(ProcessLookupError):
        os.kill(hung, 0)
    assert stack.pid("actions") != hung
    number = stack.complain(resident())  # a whole complaint, through the new action server
    assert TICKET_NUMBER.fullmatch(number)
    assert stack.status()["services"]["actions"]["restarts"] == 1


def test_rasa_on_a_read_only_conversation_store_says_so(tmp_path):
    settings = settings_for(tmp_path)
    tracker_db = Path(settings.tracker_db)
    earlier_run = SQLiteTrackerStore(dialect="sqlite", db=str(tracker_db))  # Rasa's table, in WAL mode
    with earlier_run.engine.connect() as connection:
        connection.exec_driver_sql("SELECT count(*) FROM events")
    earlier_run.engine.dispose()
    with read_only(tracker_db), running_assistant(settings, tmp_path):
        answer = httpx.post(
            f"{settings.rasa_url}/webhooks/rest/webhook", json={"sender": resident(), "message": "你好"}, timeout=60
        )
        health = httpx.get(f"{settings.staff_url}/healthz", timeout=30)
    assert answer.status_code == 200 and answer.json()  # residents are still answered
    assert health.status_code == 503 and health.json()["tracker_store"] == "down"
    errors = [line for line in (tmp_path / "rasa.log").read_text().splitlines() if "ERROR" in line]
    assert any("conversation store" in line and "cannot be written" in line for line in errors), errors
