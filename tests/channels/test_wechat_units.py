"""The WeChat channel's parts without a server: protocol checks, texts, and the shared state
on both databases."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
import uuid
from datetime import timedelta

import httpx
import pytest
from sanic import Sanic
from wechatpy.utils import WeChatSigner

from bot.channels.wechat import WeChatInput
from bot.channels.wechat_menu import menu
from bot.channels.wechat_protocol import MAX_BODY_BYTES, Rejected, check_signature_and_time, open_envelope
from bot.channels.wechat_text import MENU_KEYS, chosen_option, render, typed
from bot.delivery import dedupe, outbox, pending_messages
from bot.delivery.options import remember_options, take_options
from bot.delivery.tables import utcnow
from bot.delivery.tokens import cached_token, forget_token, store_token
from bot.runner import ROOT, free_port
from bot.settings import Settings
from tests.channels.wechat_fakes import FakeWeChatApi

TOKEN = "t0ken"


def signed(timestamp: int) -> dict:
    signer = WeChatSigner()
    signer.add_data(TOKEN, str(timestamp), "n1")
    return {"signature": signer.signature, "timestamp": str(timestamp), "nonce": "n1"}


def test_signature_and_replay_window():
    now = int(time.time())
    check_signature_and_time(TOKEN, signed(now), now=now)
    with pytest.raises(Rejected) as wrong:
        check_signature_and_time("other", signed(now), now=now)
    assert wrong.value.status == 403
    with pytest.raises(Rejected) as stale:
        check_signature_and_time(TOKEN, signed(now - 301), now=now)
    assert stale.value.status == 403 and "replay" in stale.value.reason


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE xml [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">
<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]>
<xml><Content>&c;</Content></xml>"""
EXTERNAL = b"""<?xml version="1.0"?><!DOCTYPE xml [<!ENTITY x SYSTEM "file:///etc/passwd">]>
<xml><Content>&x;</Content></xml>"""


@pytest.mark.parametrize("body", [BILLION_LAUGHS, EXTERNAL, b"<xml><Content>unclosed</xml>"])
def test_hostile_or_broken_xml_is_refused(body):
    with pytest.raises(Rejected) as refused:
        open_envelope(body, {}, None)
    assert refused.value.status == 400


def test_oversize_body_is_refused():
    with pytest.raises(Rejected) as refused:
        open_envelope(b"<xml>" + b"a" * MAX_BODY_BYTES + b"</xml>", {}, None)
    assert refused.value.status == 413


def test_buttons_become_numbered_options_once():
    text, payloads = render(
        {
            "text": "要改吗？",
            "buttons": [{"title": "1. 确认", "payload": "/affirm"}, {"title": "2. 不对，重新填", "payload": "/deny"}],
        }
    )
    assert text == "要改吗？\n回复 1 确认\n回复 2 不对，重新填"
    assert payloads == ["/affirm", "/deny"]
    listed, _ = render(
        {
            "text": "请选：\n1. 确认\n2. 取消",
            "buttons": [{"title": "1. 确认", "payload": "/affirm"}, {"title": "2. 取消", "payload": "/deny"}],
        }
    )
    assert listed.count("确认") == 1 and listed.endswith("回复数字就可以选。")


@pytest.mark.parametrize(
    ("reply", "expected"), [("2", "/b"), ("２", "/b"), ("二", "/b"), ("第2个", "/b"), (" 1。", "/a")]
)
def test_a_number_picks_an_option(reply, expected):
    assert chosen_option(reply, ["/a", "/b"]) == expected


@pytest.mark.parametrize("reply", ["3", "12号楼", "我要预约", "0"])
def test_other_replies_pick_nothing(reply):
    assert chosen_option(reply, ["/a", "/b"]) is None


def test_typed_slash_commands_are_not_payloads():
    assert typed(' /inform{"phone": "1"}') == '／inform{"phone": "1"}'
    assert typed("3号楼") == "3号楼"


def test_a_message_is_claimed_once(database_url):
    assert dedupe.claim(database_url, "wechat:gh:msg:1", "wechat")
    assert not dedupe.claim(database_url, "wechat:gh:msg:1", "wechat")
    assert dedupe.outcome(database_url, "wechat:gh:msg:1").status == dedupe.PROCESSING
    dedupe.finish(database_url, "wechat:gh:msg:1", dedupe.REPLIED, "您好")
    assert dedupe.outcome(database_url, "wechat:gh:msg:1") == dedupe.Outcome(dedupe.REPLIED, "您好")
    assert dedupe.forget_older_than(database_url, timedelta(0), now=utcnow() + timedelta(seconds=1)) == 1


def test_concurrent_claims_have_one_winner(database_url):
    async def race() -> list:
        return await asyncio.gather(
            *(asyncio.to_thread(dedupe.claim, database_url, "wechat:gh:msg:race", "wechat") for _ in range(8))
        )

    assert sorted(asyncio.run(race())) == [False] * 7 + [True]


def test_access_token_is_shared_until_it_nearly_expires(database_url):
    store_token(database_url, "wx1", "abc", utcnow() + timedelta(hours=2))
    assert cached_token(database_url, "wx1") == "abc"
    assert cached_token(database_url, "wx1", now=utcnow() + timedelta(hours=1, minutes=56)) is None
    forget_token(database_url, "wx1", "other")  # another process already renewed: keep ours
    assert cached_token(database_url, "wx1") == "abc"
    forget_token(database_url, "wx1", "abc")
    assert cached_token(database_url, "wx1") is None


def test_outbox_keeps_out_of_reach_messages_until_released(database_url):
    first = outbox.enqueue(database_url, "wechat", "o1", {"text": "一"})
    outbox.mark_pending(database_url, first.id, "errcode 45015")
    assert [item.body["text"] for item in pending_messages(database_url)] == ["一"]
    assert outbox.claim_pending(database_url, "wechat", "someone-else") == []
    [claimed] = outbox.claim_pending(database_url, "wechat", "o1")
    assert claimed.status == outbox.SENDING and outbox.claim_pending(database_url, "wechat", "o1") == []
    outbox.mark_sent(database_url, claimed.id)
    assert pending_messages(database_url) == []


def test_outbox_retries_failures_after_backoff(database_url):
    item = outbox.enqueue(database_url, "wechat", "o2", {"text": "二"})
    outbox.mark_retry(database_url, item.id, item.attempts, "errcode -1")
    assert outbox.claim_due(database_url, "wechat") == []  # not before its backoff
    assert outbox.backoff(1) == timedelta(seconds=10) and outbox.backoff(30) == outbox.MAX_BACKOFF


def test_options_are_used_up_by_the_next_message(database_url):
    remember_options(database_url, "wechat", "o3", ["/a", "/b"])
    remember_options(database_url, "wechat", "o3", ["/c"])
    assert take_options(database_url, "wechat", "o3") == ["/c"]
    assert take_options(database_url, "wechat", "o3") == []


def test_without_a_token_the_routes_answer_503_and_the_server_runs():
    async def exchange() -> list:
        Sanic.test_mode = True  # lets several apps start in one process (Sanic's TouchUp runs once otherwise)
        app = Sanic(f"wechat_off_{uuid.uuid4().hex[:6]}")

        async def on_new_message(message) -> None:
            raise AssertionError("nothing may reach Rasa")

        channel = WeChatInput(Settings(wechat_token=None))
        assert channel.get_output_channel() is None
        app.blueprint(channel.blueprint(on_new_message), url_prefix="/webhooks/wechat")
        port = free_port()
        server = await app.create_server(host="127.0.0.1", port=port, return_asyncio_server=True)
        await server.startup()
        try:
            async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}/webhooks/wechat") as client:
                return [
                    (await client.post("/webhook", content=b"<xml/>")).status_code,
                    (await client.get("/webhook", params={"echostr": "x"})).status_code,
                    (await client.get("/")).status_code,
                ]
        finally:
            await server.close()

    assert asyncio.run(exchange()) == [503, 503, 200]


def test_the_menu_command_creates_the_menu_through_the_api(sqlite_url):
    api = FakeWeChatApi("wxmenu", "menu-secret")
    try:
        env = {
            **os.environ,
            "PYTHONPATH": str(ROOT),
            "DATABASE_URL": sqlite_url,
            "WECHAT_APP_ID": "wxmenu",
            "WECHAT_APP_SECRET": "menu-secret",
            "WECHAT_API_BASE": api.base,
        }
        done = subprocess.run(
            [sys.executable, "-m", "bot.channels.wechat_menu"], env=env, capture_output=True, text=True, timeout=120
        )
        assert done.returncode == 0, done.stderr
        assert api.menus == [menu()] and api.token_calls == 1
        keys = [entry["key"] for top in menu()["button"] for entry in top["sub_button"]]
        assert set(keys) <= set(MENU_KEYS) and len(menu()["button"]) <= 3
    finally:
        api.close()


def test_a_claim_left_processing_by_a_dead_process_is_taken_over_after_its_lease(database_url):
    assert dedupe.claim(database_url, "telegram:1", "telegram")
    assert not dedupe.claim(database_url, "telegram:1", "telegram")  # a retry while it is handled
    assert dedupe.claim(database_url, "telegram:1", "telegram", lease=timedelta(0))  # its process died
    dedupe.finish(database_url, "telegram:1", dedupe.DONE)
    assert not dedupe.claim(database_url, "telegram:1", "telegram", lease=timedelta(0))  # handled: never again


def test_a_nonce_is_refused_with_another_body_and_allowed_again_with_the_same(sqlite_url):
    assert dedupe.first_use(sqlite_url, "wechat:1700000000:abc", b"<xml>one</xml>")
    assert dedupe.first_use(sqlite_url, "wechat:1700000000:abc", b"<xml>one</xml>")  # WeChat retrying
    assert not dedupe.first_use(sqlite_url, "wechat:1700000000:abc", b"<xml>another</xml>")
    assert dedupe.first_use(sqlite_url, "wechat:1700000000:other", b"<xml>another</xml>")


def test_old_nonces_are_forgotten(sqlite_url):
    dedupe.first_use(sqlite_url, "wechat:1:n", b"x")
    assert dedupe.forget_requests_older_than(sqlite_url, timedelta(0), now=utcnow() + timedelta(seconds=1)) == 1
    assert dedupe.first_use(sqlite_url, "wechat:1:n", b"y")
