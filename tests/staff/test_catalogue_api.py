"""Staff API of the catalogue: checking an edited catalogue and the questions that got no good answer."""

from __future__ import annotations

import shutil

import pytest
import yaml
from fastapi import FastAPI
from fastapi.testclient import TestClient

from bot.staff.auth import StaffAuth, login_router
from bot.staff.catalogue_api import catalogue_router
from policy_kb.catalogue import CATALOGUE_DIR
from tests.staff.conftest import ADMIN, bearer
from tickets.accounts import AccountService
from tickets.models import StaffRole
from tickets.service import TicketService


def client_for(sqlite_url: str, folder, tickets: TicketService | None = None) -> TestClient:
    """The catalogue routes alone, with a logged-in admin's bearer token on every request."""
    store = tickets or TicketService(sqlite_url)
    accounts = AccountService(sqlite_url, ensure_schema=store.ensure_schema)
    accounts.ensure_admin(*ADMIN)
    app = FastAPI()
    auth = StaffAuth(accounts)
    app.include_router(login_router(auth))
    app.include_router(catalogue_router(auth, store, folder=folder))
    client = TestClient(app)
    client.headers.update(bearer(client))
    return client


@pytest.fixture
def folder(tmp_path):
    shutil.copytree(CATALOGUE_DIR, tmp_path / "catalogue")
    return tmp_path / "catalogue"


@pytest.mark.parametrize("path, method", [("/api/catalogue/reload", "post"), ("/api/catalogue/unanswered", "get")])
def test_the_routes_are_in_the_app_and_closed_without_a_login(staff_client, path, method):
    assert getattr(staff_client, method)(path).status_code == 401
    wrong = {"Authorization": "Bearer not-a-session"}
    assert getattr(staff_client, method)(path, headers=wrong).status_code == 401
    assert getattr(staff_client, method)(path, headers=bearer(staff_client)).status_code == 200


def test_only_admins_may_check_the_catalogue(sqlite_url, folder):
    client = client_for(sqlite_url, folder)
    AccountService(sqlite_url, ensure_schema=lambda: None).create_user("viewer1", "viewer-pass", role=StaffRole.viewer)
    viewer = bearer(client, "viewer1", "viewer-pass")
    assert client.post("/api/catalogue/reload", headers=viewer).status_code == 403
    assert client.get("/api/catalogue/unanswered", headers=viewer).status_code == 200


def test_a_valid_catalogue_is_reported_with_its_entry_count(sqlite_url, folder):
    response = client_for(sqlite_url, folder).post("/api/catalogue/reload")
    assert response.status_code == 200
    body = response.json()
    assert body["ok"] is True and body["problems"] == []
    assert body["entries"] == sum(len(_services(path)) for path in folder.glob("*.yml"))


def test_a_broken_file_is_reported_by_file_and_field(sqlite_url, folder):
    elderly = folder / "elderly.yml"
    elderly.write_text(elderly.read_text(encoding="utf-8").replace("source: 规划（九）1", "source: 不知道", 1), "utf-8")
    (folder / "typo.yml").write_text("topic: [unclosed\n", encoding="utf-8")
    body = client_for(sqlite_url, folder).post("/api/catalogue/reload").json()
    assert body["ok"] is False
    problems = {(p["file"], p["field"]) for p in body["problems"]}
    assert ("elderly.yml", "services.0.source") in problems
    assert ("typo.yml", "(YAML)") in problems
    assert "上一版" in body["detail"]


def test_staff_see_the_most_asked_unanswered_questions(sqlite_url, folder):
    store = TicketService(sqlite_url)
    for question in ("宠物怎么登记", "宠物怎么登记？", "停车位怎么租"):
        store.record_unanswered(question, ["property-office"])
    client = client_for(sqlite_url, folder, tickets=store)
    response = client.get("/api/catalogue/unanswered", params={"limit": 1})
    assert response.status_code == 200
    [row] = response.json()["questions"]
    assert (row["question"], row["count"], row["candidates"]) == ("宠物怎么登记", 2, ["property-office"])
    assert row["first_seen"] and row["last_seen"]
    assert client.get("/api/catalogue/unanswered", params={"limit": 0}).status_code == 422


def test_an_unreachable_store_is_503(tmp_path, folder):
    (tmp_path / "app.db").mkdir()  # a folder where the database file should be
    url = f"sqlite:///{tmp_path / 'app.db'}"
    store = TicketService(url)
    app = FastAPI()
    app.include_router(
        catalogue_router(StaffAuth(AccountService(url, ensure_schema=store.ensure_schema)), store, folder)
    )
    response = TestClient(app).get("/api/catalogue/unanswered", headers={"Authorization": "Bearer x"})
    assert response.status_code == 503


def _services(path):
    return yaml.safe_load(path.read_text(encoding="utf-8"))["services"]
