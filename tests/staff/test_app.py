"""The staff/web service answers health checks and never leaves a resident without a reply."""

from __future__ import annotations

from fastapi.testclient import TestClient

from bot.runner import free_port
from bot.settings import Settings
from bot.staff.app import create_app
from tickets.db import migrate


def client_for(database_url: str) -> TestClient:
    # free_port() is released again at once: nothing listens there, like a Rasa that is down.
    return TestClient(create_app(Settings(database_url=database_url, rasa_port=free_port(), action_port=free_port())))


def test_health_says_the_database_is_up_and_rasa_is_not(sqlite_url):
    migrate(sqlite_url)
    response = client_for(sqlite_url).get("/healthz")
    assert response.status_code == 503  # degraded: Rasa and the action server are down here
    assert response.json()["database"] == "up"
    assert response.json()["rasa"] == "down"


def test_health_is_503_when_the_database_is_gone(tmp_path):
    (tmp_path / "app.db").mkdir()  # a folder where the database file should be
    response = client_for(f"sqlite:///{tmp_path / 'app.db'}").get("/healthz")
    assert response.status_code == 503


def test_the_chat_page_is_served_with_its_own_assets(sqlite_url):
    client = client_for(sqlite_url)
    page = client.get("/chat")
    assert page.status_code == 200
    assert 'lang="zh-CN"' in page.text and 'aria-live="polite"' in page.text
    assert "http" not in page.text.split("<body>")[0].replace("http-equiv", "")  # no third-party assets
    assert client.get("/static/chat.js").status_code == 200


def test_a_resident_gets_a_reply_even_when_rasa_is_down(sqlite_url):
    response = client_for(sqlite_url).post("/chat/send", json={"sender": "abcdef123456", "message": "你好"})
    assert response.status_code == 503
    [reply] = response.json()
    assert "110" in reply["text"] and "025-8888 0000" in reply["text"]


def test_bad_chat_input_is_refused_clearly(sqlite_url):
    client = client_for(sqlite_url)
    assert client.post("/chat/send", json={"sender": "x", "message": "你好"}).status_code == 422
    assert client.post("/chat/send", json={"sender": "abcdef123456", "message": ""}).status_code == 422
