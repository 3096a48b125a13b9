"""Two Rasa processes with their conversation locks in a Redis that then goes away: residents still
get an answer, and an emergency its hotline (real servers, a real Redis of this test's own)."""

from __future__ import annotations

import shutil
import subprocess
import time
import uuid

import httpx
import pytest
import redis

from bot.runner import free_port
from tests.live import running_assistant, settings_for

pytestmark = [pytest.mark.e2e, pytest.mark.security]


@pytest.fixture
def own_redis(tmp_path):
    """A Redis server only this test uses, so stopping it disturbs nobody."""
    if shutil.which("redis-server") is None:
        pytest.skip("redis-server is not installed")
    port = free_port()
    process = subprocess.Popen(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
    )
    url = f"redis://127.0.0.1:{port}/0"
    deadline = time.monotonic() + 20
    while True:
        try:
            redis.Redis.from_url(url, socket_connect_timeout=1).ping()
            break
        except redis.RedisError:
            assert time.monotonic() < deadline, "redis-server did not start"
            time.sleep(0.2)
    yield process, url
    if process.poll() is None:
        process.terminate()
        process.wait(10)


def test_with_the_lock_store_down_every_message_is_answered(tmp_path, own_redis):
    process, url = own_redis
    settings = settings_for(tmp_path, rasa_workers=2, rasa_lock_store_url=url, rate_limit_trusted_ips="")
    rest = f"{settings.rasa_url}/webhooks/rest/webhook"

    def say(message: str) -> httpx.Response:
        return httpx.post(rest, json={"sender": f"redis-{uuid.uuid4().hex[:10]}", "message": message}, timeout=60)

    with running_assistant(settings, tmp_path):
        assert say("你好").json()  # Redis up: an ordinary answer
        process.terminate()
        process.wait(10)
        answers = [say("厨房着火了") for _ in range(2)] + [say("我想预约上门理发") for _ in range(2)]

    for answer in answers:
        assert answer.status_code == 200, answer.text
        assert settings.duty_phone in " ".join(item["text"] for item in answer.json())
    for fire in answers[:2]:
        assert "119" in fire.json()[0]["text"]
