"""A real Rasa server (and action server) with the WeChat channel on, in plain or safe mode,
next to a fake WeChat API and a proxy that can slow the action server down."""

from __future__ import annotations

import base64
import os
import uuid
from dataclasses import dataclass
from typing import Iterator

import pytest
from sanic import Sanic
from wechatpy.crypto import WeChatCrypto

from bot.runner import services
from bot.settings import Settings
from tests.channels.wechat_fakes import FakeWeChatApi, SlowActionProxy, WeChatPlatform
from tests.live import MODEL, settings_for, stop_all, wait_until_healthy
from tickets.db import migrate

# Tests here start several Sanic apps in one process (the channels' in-process checks).
# Outside test mode Sanic rewrites its class on the first start ("TouchUp"), and a later
# app in the same process then fails to start (KeyError: '_run_response_middleware').
Sanic.test_mode = True

TOKEN = "shequtong-test-token"
APP_ID = "wx0123456789abcdef"
APP_SECRET = "test-secret"


@dataclass
class WeChatStack:
    settings: Settings
    api: FakeWeChatApi
    proxy: SlowActionProxy
    platform: WeChatPlatform
    mode: str

    def resident(self) -> str:
        return f"o{uuid.uuid4().hex[:27]}"  # openids are 28 characters


@pytest.fixture(scope="module", params=["plain", "safe"])
def wechat(request, tmp_path_factory) -> Iterator[WeChatStack]:
    if not MODEL.exists():
        pytest.fail("no trained model at models/current.tar.gz (the lead trains it)")
    workdir = tmp_path_factory.mktemp(f"wechat-{request.param}")
    aes_key = base64.b64encode(os.urandom(32)).decode().rstrip("=") if request.param == "safe" else None
    api = FakeWeChatApi(APP_ID, APP_SECRET)
    settings = settings_for(
        workdir,
        wechat_token=TOKEN,
        wechat_app_id=APP_ID,
        wechat_app_secret=APP_SECRET,
        wechat_aes_key=aes_key,
        wechat_api_base=api.base,
    )
    migrate(settings.database_url)
    proxy = SlowActionProxy(settings.action_url)
    running = [service for service in services(settings) if service.name != "staff"]
    for service in running:
        if service.name == "rasa":
            service.env["ACTION_ENDPOINT_URL"] = proxy.url
        service.start(workdir)
    crypto = WeChatCrypto(TOKEN, aes_key, APP_ID) if aes_key else None
    platform = WeChatPlatform(f"{settings.rasa_url}/webhooks/wechat/webhook", TOKEN, crypto)
    try:
        wait_until_healthy(running, workdir)
        yield WeChatStack(settings, api, proxy, platform, request.param)
    finally:
        stop_all(running)
        proxy.close()
        api.close()


@pytest.fixture(autouse=True)
def _fast_actions(request) -> Iterator[None]:
    """Each test starts with an action server at full speed."""
    yield
    if "wechat" in request.fixturenames:
        request.getfixturevalue("wechat").proxy.delay = 0.0
