"""The real assistant for end-to-end tests: action server, Rasa server and staff service,
started once per test run on free ports by the same code `make run` uses."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Callable, Iterator, List

import httpx
import pytest

from bot.settings import Settings
from tests.live import MODEL, running_assistant, settings_for
from tickets.service import TicketService


@pytest.fixture(scope="session")
def assistant(tmp_path_factory) -> Iterator[Settings]:
    workdir = tmp_path_factory.mktemp("assistant")
    with running_assistant(settings_for(workdir), workdir) as settings:
        yield settings


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
