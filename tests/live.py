"""The real assistant (action server, Rasa server, staff service) on free ports, for tests that
need it with settings of their own (a fake Telegram API, …). Same start as tests/e2e/conftest.py."""

from __future__ import annotations

import time
import uuid
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Dict, Iterator, List

import httpx
import pytest

from bot.runner import ROOT, Service, free_port, services
from bot.settings import Settings, rasa_api_token
from tickets.db import migrate

MODEL = ROOT / "models" / "current.tar.gz"
START_TIMEOUT_SECONDS = 300


def settings_for(workdir: Path, **overrides: Any) -> Settings:
    """Settings of a throw-away assistant: its own databases and free ports."""
    return Settings(
        database_url=f"sqlite:///{workdir / 'app.db'}",
        tracker_db=str(workdir / "trackers.db"),
        rasa_port=free_port(),
        action_port=free_port(),
        staff_port=free_port(),
        model_path=str(MODEL),
        rasa_api_token_file=str(workdir / "rasa_api.token"),
        log_dir=str(workdir),
        supervisor_status_file=str(workdir / "supervisor.json"),
        **overrides,
    )


def api_params(settings: Settings) -> Dict[str, str]:
    """The query parameters every call to Rasa's HTTP API needs (its token, from where the stack keeps it)."""
    return {"token": rasa_api_token(settings)}


@contextmanager
def running_assistant(settings: Settings, workdir: Path) -> Iterator[Settings]:
    """Starts every service, waits until all are healthy, and stops them afterwards."""
    if not MODEL.exists():
        pytest.fail("no trained model: run the tests with `make test`, which trains first")
    migrate(settings.database_url)
    running: List[Service] = services(settings)
    for service in running:
        service.start(workdir)
    try:
        wait_until_healthy(running, workdir)
        yield settings
    finally:
        stop_all(running)


def wait_until_healthy(running: List[Service], workdir: Path) -> None:
    """Fails the test with the log of a service that died or never became healthy."""
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


def stop_all(running: List[Service]) -> None:
    for service in running:
        service.stop()
    for service in running:
        service.wait_or_kill(time.monotonic() + 15)


def rest_answers(settings: Settings, *messages: str) -> List[str]:
    """The texts Rasa's REST channel answers to the last of ``messages`` in a new conversation:
    what any other channel must show for the same conversation."""
    sender = f"rest-{uuid.uuid4().hex[:12]}"
    texts: List[str] = []
    for message in messages:
        answer = httpx.post(
            f"{settings.rasa_url}/webhooks/rest/webhook", json={"sender": sender, "message": message}, timeout=60
        )
        answer.raise_for_status()
        texts = [item["text"] for item in answer.json() if item.get("text")]
    return texts
