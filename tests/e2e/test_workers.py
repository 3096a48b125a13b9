"""Two Rasa processes with their conversation locks in Redis: concurrent conversations lose nothing.

Real Redis on loopback (skipped when none answers), real servers as `make run` starts them with
RASA_WORKERS=2, one shared tracker file.
"""

from __future__ import annotations

import asyncio
import sqlite3
import uuid

import httpx
import pytest
import redis
from sqlalchemy import func, select

from tests.live import running_assistant, settings_for
from tickets.db import session_scope
from tickets.models import Ticket

pytestmark = pytest.mark.e2e

REDIS_URL = "redis://127.0.0.1:6379/3"
COMPLAINT = ["小区北门的路灯不亮了，晚上太黑", "北门", "匿名"]
CONVERSATIONS = 12


@pytest.fixture
def redis_url() -> str:
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
    except redis.RedisError as error:
        pytest.skip(f"no Redis at {REDIS_URL}: {error}")
    return REDIS_URL


async def converse(client: httpx.AsyncClient, url: str, sender: str) -> list:
    answers = []
    for message in COMPLAINT:
        response = await client.post(url, json={"sender": sender, "message": message})
        response.raise_for_status()
        answers.append([reply.get("text", "") for reply in response.json()])
    return answers


async def many_at_once(url: str, senders: list) -> list:
    async with httpx.AsyncClient(timeout=120) as client:
        return await asyncio.gather(*(converse(client, url, sender) for sender in senders))


def test_two_workers_file_every_complaint_once_and_keep_every_turn(tmp_path, redis_url):
    settings = settings_for(tmp_path, rasa_workers=2, rasa_lock_store_url=redis_url)
    senders = [f"workers-{uuid.uuid4().hex[:10]}" for _ in range(CONVERSATIONS)]
    with running_assistant(settings, tmp_path):
        conversations = asyncio.run(many_at_once(f"{settings.rasa_url}/webhooks/rest/webhook", senders))
        with session_scope(settings.database_url) as session:
            tickets = session.scalar(select(func.count()).select_from(Ticket))

    assert all("工单号" in " ".join(answers[-1]) for answers in conversations), conversations
    assert tickets == CONVERSATIONS
    with sqlite3.connect(settings.tracker_db) as trackers:
        user_turns = dict(
            trackers.execute("SELECT sender_id, count(*) FROM events WHERE type_name = 'user' GROUP BY sender_id")
        )
    assert user_turns == {sender: len(COMPLAINT) for sender in senders}
