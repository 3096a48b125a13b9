"""Telegram channel parts that need no Rasa server: the webhook without a token, button
payloads longer than Telegram allows, texts longer than one message."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import httpx
from sanic import Sanic

from bot.channels.telegram import MAX_CALLBACK_BYTES, CallbackPayloads, TelegramInput, split_text
from bot.runner import free_port
from bot.settings import Settings


def test_without_a_token_the_route_answers_503_and_the_server_runs():
    async def scenario() -> int:
        app = Sanic(f"telegram_off_{uuid.uuid4().hex[:8]}")
        channel = TelegramInput(Settings(telegram_token=None))

        async def never_called(_message: Any) -> None:
            raise AssertionError("nothing may reach Rasa")

        app.blueprint(channel.blueprint(never_called), url_prefix="/webhooks/telegram")
        port = free_port()
        server = await app.create_server(host="127.0.0.1", port=port, return_asyncio_server=True)
        await server.startup()
        await server.start_serving()
        try:
            async with httpx.AsyncClient() as client:
                answer = await client.post(f"http://127.0.0.1:{port}/webhooks/telegram/webhook", json={"update_id": 1})
        finally:
            server.close()
            await server.wait_closed()
        assert channel.get_output_channel() is None
        return answer.status_code

    assert asyncio.run(scenario()) == 503


def test_long_button_payloads_fit_telegrams_64_bytes_and_come_back():
    payloads = CallbackPayloads(size=10)
    long_payload = '/consult_service{"service":"残疾人两项补贴和高龄津贴申请"}'
    data = payloads.encode(long_payload)
    assert len(data.encode()) <= MAX_CALLBACK_BYTES
    assert payloads.decode(data, "1. 残疾人两项补贴") == long_payload
    assert payloads.encode("/affirm") == "/affirm" and payloads.decode("/affirm", None) == "/affirm"
    assert CallbackPayloads(size=10).decode(data, "1. 残疾人两项补贴") == "1. 残疾人两项补贴"  # after a restart


def test_long_texts_are_cut_at_line_breaks_into_messages_telegram_accepts():
    text = "\n".join(f"第{i}行：" + "办" * 50 for i in range(200))
    parts = split_text(text)
    assert len(parts) > 1 and all(len(part) <= 4096 for part in parts)
    assert "\n".join(parts) == text
