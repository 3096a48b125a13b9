"""The command that creates staff accounts asks for the password and refuses bad ones."""

from __future__ import annotations

import pytest

from bot import __main__ as cli
from tickets.accounts import AccountService
from tickets.service import TicketService


@pytest.fixture
def database(sqlite_url, monkeypatch) -> str:
    monkeypatch.setenv("DATABASE_URL", sqlite_url)
    cli.get_settings.cache_clear()
    yield sqlite_url
    cli.get_settings.cache_clear()


def test_add_staff_creates_an_account_that_can_log_in(database, monkeypatch):
    monkeypatch.setattr(cli.getpass, "getpass", lambda prompt: "grid-worker-1")
    assert cli.main(["add-staff", "li", "--name", "李敏", "--grid", "第三网格", "--grid", "第四网格"]) == 0
    accounts = AccountService(database, ensure_schema=TicketService(database).ensure_schema)
    _, identity = accounts.login("li", "grid-worker-1")
    assert (identity.role.value, identity.display_name, identity.grids) == ("staff", "李敏", ["第三网格", "第四网格"])
    assert cli.main(["add-staff", "li"]) == 1  # the name is taken


def test_add_staff_refuses_a_short_password(database, monkeypatch, capsys):
    monkeypatch.setattr(cli.getpass, "getpass", lambda prompt: "short")
    assert cli.main(["add-staff", "wang", "--role", "viewer"]) == 2
    assert "8 characters" in capsys.readouterr().err
