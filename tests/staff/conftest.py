"""A staff service on a real SQLite file, its first admin created at start, and logging in."""

from __future__ import annotations

from typing import Dict, Iterator

import pytest
from fastapi.testclient import TestClient

from bot.runner import free_port
from bot.settings import Settings
from bot.staff.app import create_app

ADMIN = ("admin", "s3cret-密码")


def staff_settings(database_url: str, tmp_path, **extra) -> Settings:
    """Admin from the settings; Rasa on a port where nothing listens (like a Rasa that is down)."""
    values = dict(
        database_url=database_url,
        rasa_port=free_port(),
        staff_admin_user=ADMIN[0],
        staff_admin_password=ADMIN[1],
        staff_secret_file=str(tmp_path / "staff_secret.key"),
    )
    values.update(extra)
    return Settings(**values)


@pytest.fixture
def staff_client(sqlite_url, tmp_path) -> Iterator[TestClient]:
    """The whole staff app; entering the client runs its start-up (the first admin)."""
    with TestClient(create_app(staff_settings(sqlite_url, tmp_path))) as client:
        yield client


def bearer(client: TestClient, username: str = ADMIN[0], password: str = ADMIN[1]) -> Dict[str, str]:
    """Log in as a program would: the token as a bearer header, no cookies kept."""
    response = client.post("/api/login", json={"username": username, "password": password})
    assert response.status_code == 200, response.text
    client.cookies.clear()
    return {"Authorization": f"Bearer {response.json()['token']}"}
