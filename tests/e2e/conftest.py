"""The real assistant for end-to-end tests: action server, Rasa server and staff service,
started once per test run on free ports by the same code `make run` uses."""

from __future__ import annotations

import time
import uuid
from pathlib import Path
from typing import Callable, Iterator, List

import httpx
import pytest

from bot.runner import ROOT, Service, free_port, services
from bot.settings import Settings
from tickets.db import migrate
from tickets.service import TicketService

MODEL = ROOT / "models" / "current.tar.gz"
START_TIMEOUT_SECONDS = 300


@pytest.fixture(scope="session")
def assistant(tmp_path_factory) -> Iterator[Settings]:
    if not MODEL.exists():
        pytest.fail("no trained model: run the tests with `make test`, which trains first")
    workdir = tmp_path_factory.mktemp("assistant")
    settings = Settings(
        database_url=f"sqlite:///{workdir / 'app.db'}",
        tracker_db=str(workdir / "trackers.db"),
        rasa_port=free_port(),
        action_port=free_port(),
        staff_port=free_port(),
        model_path=str(MODEL),
    )
    migrate(settings.database_url)
    running: List[Service] = services(settings)
    for service in running:
        service.start(workdir)
    try:
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        waiting = list(running)
        while waiting:
            for service in running:
                if service.exited() is not None:
                    log = (workdir / f"{service.name}.log").read_text(errors="replace")[-3000:]
                    pytest.fail(f"{service.name} exited during start:\n{log}")
            if time.monotonic() > deadline:
                pytest.fail(f"not healthy in time: {[s.name for s in waiting]}")
            waiting = [service for service in waiting if not service.healthy()]
            time.sleep(0.5)
        yield settings
    finally:
        for service in running:
            service.stop()
        for service in running:
            service.wait_or_kill(time.monotonic() + 15)


@pytest.fixture(scope="session")
def store(assistant) -> TicketService:
    return TicketService(assistant.database_url)


class Resident:
    """One resident talking to the REST channel, as a web or app client would."""

    def __init__(self, settings: Settings) -> None:
        self.sender = f"e2e-{uuid.uuid4().hex[:12]}"
        self.url = f"{settings.rasa_url}/webhooks/rest/webhook"

    def say(self, message: str) -> List[dict]:
        response = httpx.post(self.url, json={"sender": self.sender, "message": message}, timeout=60)
        response.raise_for_status()
        return response.json()

    def says(self, message: str) -> str:
        """All the bot's texts in answer to ``message``, joined."""
        return "\n".join(answer.get("text", "") for answer in self.say(message))


@pytest.fixture
def resident(assistant) -> Callable[[], Resident]:
    return lambda: Resident(assistant)


@pytest.fixture
def model_path() -> Path:
    return MODEL
