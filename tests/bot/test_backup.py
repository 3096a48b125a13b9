"""A backup holds the tickets and the conversations; a restore brings back exactly that state,
on SQLite and on PostgreSQL, and a damaged backup restores nothing."""

from __future__ import annotations

import sqlite3
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest

from bot.__main__ import main
from bot.backup import BackupError, backup, restore, stores_of
from bot.settings import get_settings
from tickets.models import TicketKind
from tickets.schemas import TicketCreate
from tickets.service import TicketService


def file_ticket(service: TicketService, title: str) -> str:
    return service.open_ticket(
        TicketCreate(kind=TicketKind.complaint, title=title, description=title, channel="rest", sender_id="web-backup")
    ).number


def say(tracker_db: Path, text: str) -> None:
    """A conversation event, as Rasa's tracker store keeps it (a row in a SQLite file)."""
    with sqlite3.connect(tracker_db) as connection:
        connection.execute("CREATE TABLE IF NOT EXISTS events (sender_id TEXT, data TEXT)")
        connection.execute("INSERT INTO events VALUES ('web-backup', ?)", (text,))
    connection.close()


def said(tracker_db: Path) -> list[str]:
    with sqlite3.connect(tracker_db) as connection:
        rows = [text for (text,) in connection.execute("SELECT data FROM events ORDER BY rowid")]
    connection.close()
    return rows


def titles(service: TicketService) -> list[str]:
    return sorted(ticket.title for ticket in service.tickets_of("web-backup", limit=100))


@pytest.mark.parametrize("engine", ["sqlite", "postgresql"])
def test_a_restore_brings_back_exactly_what_was_backed_up(engine, request, tmp_path):
    url = request.getfixturevalue("sqlite_url" if engine == "sqlite" else "postgres_url")
    service = TicketService(url)
    service.ensure_schema()
    tracker_db = tmp_path / "trackers.db"
    stores = stores_of(url, str(tracker_db))
    file_ticket(service, "3栋电梯坏了")
    say(tracker_db, "电梯坏了")

    folder = backup(stores, tmp_path / "backups")
    file_ticket(service, "备份之后的工单")
    say(tracker_db, "备份之后说的话")
    assert titles(service) == ["3栋电梯坏了", "备份之后的工单"]

    assert restore(stores, folder) == ["tickets", "conversations"]
    assert titles(TicketService(url)) == ["3栋电梯坏了"]
    assert said(tracker_db) == ["电梯坏了"]
    # The restored store goes on numbering and filing.
    file_ticket(TicketService(url), "恢复之后的工单")
    assert titles(TicketService(url)) == ["3栋电梯坏了", "恢复之后的工单"]


def test_a_damaged_backup_restores_nothing(sqlite_url, tmp_path):
    service = TicketService(sqlite_url)
    service.ensure_schema()
    tracker_db = tmp_path / "trackers.db"
    stores = stores_of(sqlite_url, str(tracker_db))
    file_ticket(service, "3栋电梯坏了")
    say(tracker_db, "电梯坏了")
    folder = backup(stores, tmp_path / "backups")
    file_ticket(service, "之后的工单")
    say(tracker_db, "之后的话")

    damaged = folder / "conversations.sqlite"
    damaged.write_bytes(damaged.read_bytes()[:-1] + b"\x00")
    with pytest.raises(BackupError, match="damaged"):
        restore(stores, folder)
    assert titles(service) == ["3栋电梯坏了", "之后的工单"]  # the tickets, checked first, untouched too
    assert said(tracker_db) == ["电梯坏了", "之后的话"]


def test_restoring_a_postgresql_backup_into_sqlite_is_refused(sqlite_url, tmp_path):
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "tickets.pgdump").write_bytes(b"x")
    (tmp_path / "b" / "manifest.json").write_text(
        '{"format": 1, "stores": [{"name": "tickets", "file": "tickets.pgdump", "sha256": "0"}]}'
    )
    with pytest.raises(BackupError, match="another engine"):
        restore(stores_of(sqlite_url, str(tmp_path / "t.db")), tmp_path / "b")


class _Answers(BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


def test_the_command_refuses_to_restore_under_a_running_assistant(sqlite_url, tmp_path, monkeypatch, capsys):
    service = TicketService(sqlite_url)
    service.ensure_schema()
    file_ticket(service, "3栋电梯坏了")
    monkeypatch.setenv("DATABASE_URL", sqlite_url)
    monkeypatch.setenv("TRACKER_DB", str(tmp_path / "trackers.db"))
    running = HTTPServer(("127.0.0.1", 0), _Answers)
    threading.Thread(target=running.serve_forever, daemon=True).start()
    monkeypatch.setenv("STAFF_PORT", str(running.server_port))
    get_settings.cache_clear()
    try:
        assert main(["backup", "--into", str(tmp_path / "backups")]) == 0
        [folder] = (tmp_path / "backups").iterdir()
        file_ticket(service, "之后的工单")
        assert main(["restore", str(folder)]) == 2
        assert "stop it first" in capsys.readouterr().err
        assert titles(service) == ["3栋电梯坏了", "之后的工单"]
        running.shutdown()
        running.server_close()
        assert main(["restore", str(folder)]) == 0
        assert titles(TicketService(sqlite_url)) == ["3栋电梯坏了"]
    finally:
        get_settings.cache_clear()
