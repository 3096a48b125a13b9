"""Property-based fuzzing of the Rasa server's public routes on the real stack: the REST channel,
/model/parse, the WeChat webhook (signed as WeChat signs) and the Telegram webhook.

Whatever arrives: never a server error, a resident's message always gets a reply, and the ticket
store holds only whole tickets (each with its "created" event).
"""

from __future__ import annotations

import itertools
import json
import time
import uuid
from typing import Any, Iterator

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from bot.settings import Settings
from tests.channels.fake_telegram import FakeBotApi
from tests.channels.wechat_fakes import FakeWeChatApi, WeChatPlatform, message_xml
from tests.live import api_params, running_assistant, settings_for
from tickets.db import session_scope
from tickets.models import Ticket, TicketEvent

pytestmark = [pytest.mark.e2e, pytest.mark.security]

WECHAT_TOKEN, WECHAT_APP, WECHAT_SECRET = "fuzz-wechat-token", "wx0123456789abcdef", "fuzz-wechat-secret"
TELEGRAM_TOKEN, TELEGRAM_SECRET = "123456:fuzz-telegram-token", "fuzz-secret-header"
FUZZ = settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
_ids = itertools.count(1_000)

resident_texts = st.one_of(
    st.text(max_size=60),
    st.text(alphabet=st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF), min_size=1, max_size=60),
    st.sampled_from(
        [" ", "\t\n", "\x00", "<xml><a>1</a></xml>", "'; DROP TABLE tickets; --", "{{7*7}}", "%s%s%s", "🔥🔥🔥", "2"]
    ),
    st.integers(min_value=1_000, max_value=30_000).map(lambda n: "楼上漏水" * (n // 4)),
)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4),
    max_leaves=10,
)


@pytest.fixture(scope="module")
def stack(tmp_path_factory) -> Iterator[tuple[Settings, WeChatPlatform]]:
    workdir = tmp_path_factory.mktemp("fuzz-channels")
    wechat_api = FakeWeChatApi(WECHAT_APP, WECHAT_SECRET)
    telegram_api = FakeBotApi(TELEGRAM_TOKEN).start()
    config = settings_for(
        workdir,
        wechat_token=WECHAT_TOKEN,
        wechat_app_id=WECHAT_APP,
        wechat_app_secret=WECHAT_SECRET,
        wechat_api_base=wechat_api.base,
        telegram_token=TELEGRAM_TOKEN,
        telegram_api_base=telegram_api.base,
        telegram_secret_token=TELEGRAM_SECRET,
    )
    try:
        with running_assistant(config, workdir) as running:
            yield running, WeChatPlatform(f"{running.rasa_url}/webhooks/wechat/webhook", WECHAT_TOKEN, None)
    finally:
        telegram_api.stop()
        wechat_api.close()


def half_written(config: Settings) -> int:
    """Tickets without their "created" event: a ticket written in part."""
    with session_scope(config.database_url) as session:
        created = select(TicketEvent.ticket_id).where(TicketEvent.type == "created")
        return session.execute(select(func.count(Ticket.id)).where(Ticket.id.not_in(created))).scalar_one()


@FUZZ
@given(text=resident_texts)
def test_rest_always_answers_a_message(stack, text) -> None:
    config, _ = stack
    response = httpx.post(
        f"{config.rasa_url}/webhooks/rest/webhook",
        json={"sender": f"fuzz-{uuid.uuid4().hex[:10]}", "message": text},
        timeout=60,
    )
    assert response.status_code < 500, response.text
    if response.status_code == 200:
        assert any(item.get("text") for item in response.json()), (text[:80], response.text[:300])
    assert half_written(config) == 0


@FUZZ
@given(body=st.one_of(json_values.map(lambda value: json.dumps(value).encode()), st.binary(max_size=200)))
def test_rest_and_parse_refuse_malformed_bodies_as_client_errors(stack, body) -> None:
    config, _ = stack
    rest = httpx.post(f"{config.rasa_url}/webhooks/rest/webhook", content=body, timeout=60)
    assert rest.status_code < 500, rest.text
    parse = httpx.post(f"{config.rasa_url}/model/parse", params=api_params(config), content=body, timeout=60)
    assert parse.status_code < 500, parse.text


@FUZZ
@given(text=resident_texts)
def test_parse_answers_any_text(stack, text) -> None:
    config, _ = stack
    response = httpx.post(f"{config.rasa_url}/model/parse", params=api_params(config), json={"text": text}, timeout=60)
    assert response.status_code < 500, response.text


@FUZZ
@given(
    text=resident_texts,
    kind=st.sampled_from(["text", "image", "voice", "location", "event", "junk"]),
    garbage=st.binary(max_size=300),
)
def test_wechat_never_fails(stack, text, kind, garbage) -> None:
    config, platform = stack
    openid = f"o{uuid.uuid4().hex[:27]}"
    fields: dict[str, Any] = {
        "text": {"Content": text[:2000]},
        "image": {"PicUrl": "http://example.invalid/a.jpg", "MediaId": "m1"},
        "voice": {"MediaId": "m2", "Format": "amr", "Recognition": text[:200]},
        "location": {"Location_X": "32.0", "Location_Y": "118.8", "Scale": "15", "Label": text[:50]},
        "event": {"Event": text[:20] or "subscribe"},
        "junk": {"Content": text[:50]},
    }[kind]
    xml = message_xml(openid, "text" if kind == "junk" else kind, fields, msg_id=platform.new_msg_id())
    for body in (xml.encode("utf-8"), garbage, xml.encode("utf-8")[: len(xml) // 2]):
        response = platform.post_raw(body, platform.signed_args(nonce=uuid.uuid4().hex[:10]))
        assert response.status_code < 500, (body[:100], response.text)
    assert half_written(config) == 0


@FUZZ
@given(update=json_values, text=resident_texts)
def test_telegram_never_fails(stack, update, text) -> None:
    config, _ = stack
    url = f"{config.rasa_url}/webhooks/telegram/webhook"
    headers = {"X-Telegram-Bot-Api-Secret-Token": TELEGRAM_SECRET}
    chat_id = next(_ids)
    message = {
        "update_id": next(_ids),
        "message": {
            "message_id": next(_ids),
            "date": int(time.time()),
            "chat": {"id": chat_id, "type": "private", "first_name": "王阿姨"},
            "from": {"id": chat_id, "is_bot": False, "first_name": "王阿姨"},
            "text": text[:4096] or " ",
        },
    }
    for payload in (update, message):
        response = httpx.post(url, content=json.dumps(payload).encode(), headers=headers, timeout=60)
        assert response.status_code < 500, (str(payload)[:100], response.text)
    assert half_written(config) == 0
