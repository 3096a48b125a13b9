"""A real assistant (action server and Rasa server, WeChat on in plain mode, a fake WeChat API)
whose action server tests can stop with SIGSTOP, with short timeouts so the tests stay short."""

from __future__ import annotations

import os
import signal
import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Dict, Iterator, List

import httpx
import pytest
from sanic import Sanic

from bot.runner import Service, services
from bot.settings import Settings
from tests.channels.wechat_fakes import FakeWeChatApi, WeChatPlatform
from tests.live import MODEL, api_params, settings_for, stop_all, wait_until_healthy
from tickets.db import migrate

Sanic.test_mode = True  # see tests/channels/conftest.py

TOKEN, APP_ID, APP_SECRET = "security-test-token", "wx5ecur1ty0000000", "secret"


@dataclass
class Stack:
    settings: Settings
    running: List[Service]
    platform: WeChatPlatform

    @property
    def rest_url(self) -> str:
        return f"{self.settings.rasa_url}/webhooks/rest/webhook"

    def api_params(self) -> Dict[str, str]:
        """Rasa's HTTP API token, from where the stack keeps it."""
        return api_params(self.settings)

    def user_texts(self, sender: str) -> List[str]:
        tracker = httpx.get(
            f"{self.settings.rasa_url}/conversations/{sender}/tracker", params=self.api_params(), timeout=30
        ).json()
        return [event.get("text") for event in tracker.get("events", []) if event["event"] == "user"]

    def user_events(self, sender: str) -> List[Dict[str, Any]]:
        tracker = httpx.get(
            f"{self.settings.rasa_url}/conversations/{sender}/tracker", params=self.api_params(), timeout=30
        ).json()
        return [event for event in tracker.get("events", []) if event["event"] == "user"]

    @contextmanager
    def action_server_stopped(self) -> Iterator[None]:
        """The action server hangs (SIGSTOP) as in the issue, and resumes afterwards."""
        [actions] = [service for service in self.running if service.name == "actions"]
        os.kill(actions.process.pid, signal.SIGSTOP)
        try:
            yield
        finally:
            os.kill(actions.process.pid, signal.SIGCONT)


def sender() -> str:
    return f"sec-{uuid.uuid4().hex[:12]}"


@pytest.fixture(scope="module")
def stack(tmp_path_factory) -> Iterator[Stack]:
    if not MODEL.exists():
        pytest.fail("no trained model at models/current.tar.gz")
    workdir = tmp_path_factory.mktemp("security")
    api = FakeWeChatApi(APP_ID, APP_SECRET)
    settings = settings_for(
        workdir,
        wechat_token=TOKEN,
        wechat_app_id=APP_ID,
        wechat_app_secret=APP_SECRET,
        wechat_api_base=api.base,
        action_timeout_seconds=3,
        turn_timeout_seconds=5,
        rate_limit_trusted_ips="",
    )
    migrate(settings.database_url)
    running = [service for service in services(settings) if service.name != "staff"]
    for service in running:
        service.start(workdir)
    try:
        wait_until_healthy(running, workdir)
        platform = WeChatPlatform(f"{settings.rasa_url}/webhooks/wechat/webhook", TOKEN, None)
        yield Stack(settings, running, platform)
    finally:
        stop_all(running)
        api.close()
