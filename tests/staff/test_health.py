"""/healthz tells the truth: a dead, hung or read-only part makes it 503 and says which.

Real SQLite files, real sockets and real Redis; the whole stack answering 200 is checked
end to end (tests/e2e/test_supervision.py).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import sqlite3
import subprocess
from pathlib import Path
from typing import Iterator

import pytest
import redis
from fastapi.testclient import TestClient

from bot.runner import Service, free_port
from bot.settings import Settings
from bot.staff.app import create_app
from bot.supervisor import Supervisor
from tickets.db import get_engine, migrate
from tickets.sqlite_file import restored_marker

LOCAL_REDIS = "redis://127.0.0.1:6379/3"


def settings_for(tmp_path: Path, database_url: str, **overrides) -> Settings:
    tracker_db = tmp_path / "trackers.db"
    if not tracker_db.exists():
        sqlite3.connect(tracker_db).close()
    values = dict(
        database_url=database_url,
        tracker_db=str(tracker_db),
        rasa_port=free_port(),  # released again at once: nothing listens there
        action_port=free_port(),
        rasa_api_token_file=str(tmp_path / "rasa_api.token"),
        supervisor_status_file=str(tmp_path / "supervisor.json"),
    )
    return Settings(**{**values, **overrides})


def health(settings: Settings) -> tuple[int, dict]:
    response = TestClient(create_app(settings)).get("/healthz")
    return response.status_code, response.json()


@contextlib.contextmanager
def read_only(path: Path) -> Iterator[None]:
    """The file cannot be written, even by root (who ignores permission bits: the immutable flag)."""
    os.chmod(path, 0o444)
    immutable = os.geteuid() == 0
    if immutable and (shutil.which("chattr") is None or subprocess.run(["chattr", "+i", str(path)]).returncode):
        os.chmod(path, 0o644)
        pytest.skip("running as root on a file system without the immutable flag")
    try:
        yield
    finally:
        if immutable:
            subprocess.run(["chattr", "-i", str(path)], check=True)
        os.chmod(path, 0o644)


def test_a_database_that_answers_but_cannot_write_is_reported(tmp_path):
    database = tmp_path / "app.db"
    migrate(f"sqlite:///{database}")
    # Connections opened before keep writing through their open file (SQLite even reuses their file
    # descriptors in this process); the service started after the file became read-only is the case.
    get_engine(f"sqlite:///{database}").dispose()
    settings = settings_for(tmp_path, f"sqlite:///{database}")
    assert health(settings)[1]["database"] == "up"
    with read_only(database):
        status, body = health(settings)
    assert status == 503
    assert body["database"] == "down" and body["status"] == "degraded"


def test_a_conversation_store_that_cannot_write_is_reported(tmp_path, sqlite_url):
    migrate(sqlite_url)
    settings = settings_for(tmp_path, sqlite_url)
    assert health(settings)[1]["tracker_store"] == "up"
    with read_only(Path(settings.tracker_db)):
        status, body = health(settings)
    assert status == 503 and body["tracker_store"] == "down"
    Path(settings.tracker_db).unlink()
    assert health(settings)[1]["tracker_store"] == "down"
    assert not Path(settings.tracker_db).exists()  # the probe never creates the file


def test_a_deleted_ticket_database_is_down_then_restored_until_an_operator_looks(tmp_path):
    database = tmp_path / "var" / "app.db"
    migrate(f"sqlite:///{database}")
    get_engine(f"sqlite:///{database}").dispose()
    settings = settings_for(tmp_path, f"sqlite:///{database}")
    shutil.rmtree(database.parent)
    status, body = health(settings)
    assert status == 503 and body["database"] == "down"
    assert not database.parent.exists()  # the probe never creates the file

    database.parent.mkdir()
    migrate(f"sqlite:///{database}")  # as the ticket store puts it back (tests/security/test_database_file_deleted.py)
    restored_marker(database).write_text("{}")
    status, body = health(settings)
    assert status == 503 and body["database"] == "restored"
    restored_marker(database).unlink()
    assert health(settings)[1]["database"] == "up"


def test_dead_servers_are_named(tmp_path, sqlite_url):
    migrate(sqlite_url)
    status, body = health(settings_for(tmp_path, sqlite_url))
    assert status == 503
    assert (body["rasa"], body["actions"], body["database"], body["lock_store"]) == ("down", "down", "up", "not used")


def test_a_hung_rasa_is_reported_as_such(tmp_path, sqlite_url):
    migrate(sqlite_url)
    with socket.socket() as hung:  # accepts connections (the kernel does) and never answers
        hung.bind(("127.0.0.1", 0))
        hung.listen(8)
        status, body = health(settings_for(tmp_path, sqlite_url, rasa_port=hung.getsockname()[1]))
    assert status == 503
    assert body["rasa"] == "timeout"


def test_the_lock_store_is_pinged_when_one_is_set(tmp_path, sqlite_url):
    migrate(sqlite_url)
    unreachable = f"redis://127.0.0.1:{free_port()}/0"
    assert health(settings_for(tmp_path, sqlite_url, rasa_lock_store_url=unreachable))[1]["lock_store"] == "down"
    try:
        redis.Redis.from_url(LOCAL_REDIS, socket_connect_timeout=2).ping()
    except redis.RedisError:
        pytest.skip(f"no Redis at {LOCAL_REDIS}")
    assert health(settings_for(tmp_path, sqlite_url, rasa_lock_store_url=LOCAL_REDIS))[1]["lock_store"] == "up"


def test_restart_counts_of_the_supervisor_are_shown(tmp_path, sqlite_url):
    settings = settings_for(tmp_path, sqlite_url)
    assert "restarts" not in health(settings)[1]  # no supervisor runs us
    supervisor = Supervisor(
        [Service("rasa", ["true"], "http://127.0.0.1:1/"), Service("actions", ["true"], "http://127.0.0.1:1/")],
        tmp_path,
        Path(settings.supervisor_status_file),
    )
    supervisor.watched[0].restarts = 2
    supervisor.write_status()
    assert health(settings)[1]["restarts"] == {"rasa": 2, "actions": 0}
