"""Staff API of the catalogue: checking an edited catalogue and the questions that got no good answer."""

from __future__ import annotations

import shutil

import pytest
import yaml
from fastapi import FastAPI
from fastapi.testclient import TestClient

from bot.runner import free_port
from bot.settings import Settings
from bot.staff.app import create_app
from bot.staff.catalogue_api import catalogue_router
from policy_kb.catalogue import CATALOGUE_DIR
from tickets.service import TicketService

STAFF = ("admin", "s3cret-密码")


def settings_for(database_url: str, **extra) -> Settings:
    return Settings(database_url=database_url, rasa_port=free_port(), **extra)


def admin_settings(database_url: str) -> Settings:
    return settings_for(database_url, staff_admin_user=STAFF[0], staff_admin_password=STAFF[1])


@pytest.fixture
def folder(tmp_path):
    shutil.copytree(CATALOGUE_DIR, tmp_path / "catalogue")
    return tmp_path / "catalogue"


def client_for(settings: Settings, folder, tickets: TicketService | None = None) -> TestClient:
    app = FastAPI()
    app.include_router(catalogue_router(settings, tickets=tickets, folder=folder))
    return TestClient(app)


@pytest.mark.parametrize("path, method", [("/api/catalogue/reload", "post"), ("/api/catalogue/unanswered", "get")])
def test_the_routes_are_in_the_app_and_closed_without_a_login(sqlite_url, path, method):
    client = TestClient(create_app(admin_settings(sqlite_url)))
    response = getattr(client, method)(path)
    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith("Basic")
    assert getattr(client, method)(path, auth=("admin", "wrong")).status_code == 401
    assert getattr(client, method)(path, auth=("someone", STAFF[1])).status_code == 401


def test_without_a_configured_account_nobody_gets_in(sqlite_url, folder):
    client = client_for(settings_for(sqlite_url), folder)
    assert client.post("/api/catalogue/reload", auth=STAFF).status_code == 401
    assert client.post("/api/catalogue/reload", auth=("", "")).status_code == 401


def test_a_valid_catalogue_is_reported_with_its_entry_count(sqlite_url, folder):
    response = client_for(admin_settings(sqlite_url), folder).post("/api/catalogue/reload", auth=STAFF)
    assert response.status_code == 200
    body = response.json()
    assert body["ok"] is True and body["problems"] == []
    assert body["entries"] == sum(len(_services(path)) for path in folder.glob("*.yml"))


def test_a_broken_file_is_reported_by_file_and_field(sqlite_url, folder):
    elderly = folder / "elderly.yml"
    elderly.write_text(elderly.read_text(encoding="utf-8").replace("source: 规划（九）1", "source: 不知道", 1), "utf-8")
    (folder / "typo.yml").write_text("topic: [unclosed\n", encoding="utf-8")
    body = client_for(admin_settings(sqlite_url), folder).post("/api/catalogue/reload", auth=STAFF).json()
    assert body["ok"] is False
    problems = {(p["file"], p["field"]) for p in body["problems"]}
    assert ("elderly.yml", "services.0.source") in problems
    assert ("typo.yml", "(YAML)") in problems
    assert "上一版" in body["detail"]


def test_staff_see_the_most_asked_unanswered_questions(sqlite_url, folder):
    store = TicketService(sqlite_url)
    for question in ("宠物怎么登记", "宠物怎么登记？", "停车位怎么租"):
        store.record_unanswered(question, ["property-office"])
    client = client_for(admin_settings(sqlite_url), folder, tickets=store)
    response = client.get("/api/catalogue/unanswered", params={"limit": 1}, auth=STAFF)
    assert response.status_code == 200
    [row] = response.json()["questions"]
    assert (row["question"], row["count"], row["candidates"]) == ("宠物怎么登记", 2, ["property-office"])
    assert row["first_seen"] and row["last_seen"]
    assert client.get("/api/catalogue/unanswered", params={"limit": 0}, auth=STAFF).status_code == 422


def test_an_unreachable_store_is_503(tmp_path, folder):
    (tmp_path / "app.db").mkdir()  # a folder where the database file should be
    url = f"sqlite:///{tmp_path / 'app.db'}"
    response = client_for(admin_settings(url), folder).get("/api/catalogue/unanswered", auth=STAFF)
    assert response.status_code == 503


def _services(path):
    return yaml.safe_load(path.read_text(encoding="utf-8"))["services"]
