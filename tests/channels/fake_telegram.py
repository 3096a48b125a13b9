"""A small Bot API server on loopback that answers like Telegram and records every call.

python-telegram-bot posts form fields to ``{base}{token}/{method}``; values that are not plain
strings (``reply_markup``, ``allowed_updates``) arrive JSON-encoded, as Telegram accepts them.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Dict, List
from urllib.parse import parse_qsl

BOT_USER = {"id": 7000000001, "is_bot": True, "first_name": "社区通", "username": "shequtong_test_bot"}
JSON_FIELDS = {"reply_markup", "allowed_updates"}


@dataclass(frozen=True)
class Call:
    method: str
    params: Dict[str, Any]


class FakeBotApi:
    """Telegram's Bot API for one bot token; ``base`` is what TELEGRAM_API_BASE should be."""

    def __init__(self, token: str) -> None:
        self.token = token
        self._calls: List[Call] = []
        self._lock = threading.Lock()
        self._message_ids = iter(range(1, 10**9))
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/bot"

    def start(self) -> FakeBotApi:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def calls(self, method: str | None = None, chat_id: int | str | None = None) -> List[Call]:
        with self._lock:
            found = list(self._calls)
        return [
            call
            for call in found
            if (method is None or call.method == method)
            and (chat_id is None or str(call.params.get("chat_id")) == str(chat_id))
        ]

    def sent_texts(self, chat_id: int | str) -> List[str]:
        return [call.params["text"] for call in self.calls("sendMessage", chat_id)]

    def _answer(self, method: str, params: Dict[str, Any]) -> tuple[int, Dict[str, Any]]:
        with self._lock:
            self._calls.append(Call(method, params))
            message_id = next(self._message_ids)
        if method == "getMe":
            return 200, {"ok": True, "result": BOT_USER}
        if method in ("sendMessage", "sendPhoto"):
            message = {
                "message_id": message_id,
                "date": int(time.time()),
                "chat": {"id": int(params["chat_id"]), "type": "private", "first_name": "居民"},
                "from": BOT_USER,
            }
            if "text" in params:
                message["text"] = params["text"]
            if "reply_markup" in params:
                message["reply_markup"] = params["reply_markup"]
            return 200, {"ok": True, "result": message}
        if method in ("answerCallbackQuery", "setWebhook", "deleteWebhook"):
            return 200, {"ok": True, "result": True}
        return 404, {"ok": False, "error_code": 404, "description": "Not Found: method not found"}

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
                prefix = f"/bot{fake.token}/"
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
                if not self.path.startswith(prefix):
                    self._reply(401, {"ok": False, "error_code": 401, "description": "Unauthorized"})
                    return
                params: Dict[str, Any] = dict(parse_qsl(body))
                for name in JSON_FIELDS & params.keys():
                    params[name] = json.loads(params[name])
                self._reply(*fake._answer(self.path[len(prefix) :], params))

            def _reply(self, status: int, payload: Dict[str, Any]) -> None:
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 (base class signature)
                """Quiet: the recorded calls are what the tests look at."""

        return Handler
