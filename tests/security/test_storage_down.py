"""The WeChat channel with its delivery database turned read-only after start: residents are still
answered (real wechatpy-signed protocol messages, a real SQLite file, a scripted stand-in for Rasa)."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import event

from bot.delivery.db import get_engine
from tests.channels.test_wechat_inprocess import Harness

pytestmark = pytest.mark.security


@pytest.fixture(params=["plain", "safe"])
def read_only(request, sqlite_url):
    harness = Harness(request.param, sqlite_url)
    engine = get_engine(sqlite_url)

    @event.listens_for(engine, "connect")
    def _query_only(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
        dbapi_connection.execute("PRAGMA query_only=ON")

    engine.dispose()  # every connection from now on refuses writes
    yield harness
    harness.close()


def test_a_resident_is_answered_when_the_database_refuses_writes(read_only):
    openid = f"o{uuid.uuid4().hex[:27]}"
    reply = read_only.say(openid, "厨房着火了")
    assert reply is not None and reply["Content"] == "收到：厨房着火了"
    assert read_only.agent.handled[-1].text == "厨房着火了"
