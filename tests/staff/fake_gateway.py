"""An SMS/call gateway on loopback: records every alert POSTed to it and answers as told."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Dict, List


class FakeGateway:
    """``url`` is what ALERT_GATEWAY_URL should be; ``status`` what it answers (200: accepted)."""

    def __init__(self, token: str = "gateway-token", status: int = 200) -> None:
        self.token = token
        self.status = status
        self.refused: List[Dict[str, Any]] = []
        self._accepted: List[Dict[str, Any]] = []
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/alerts"

    def __enter__(self) -> FakeGateway:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    @property
    def accepted(self) -> List[Dict[str, Any]]:
        with self._lock:
            return list(self._accepted)

    def wait_for(self, count: int, timeout: float = 30) -> List[Dict[str, Any]]:
        """The first ``count`` alerts accepted; fails after ``timeout`` seconds without them."""
        deadline = time.monotonic() + timeout
        while len(self.accepted) < count:
            assert time.monotonic() < deadline, f"the gateway got {self.accepted}, not {count} alerts"
            time.sleep(0.1)
        return self.accepted[:count]

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (the http.server API)
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
                authorised = self.headers.get("Authorization") == f"Bearer {gateway.token}"
                status = gateway.status if authorised else 401
                with gateway._lock:
                    (gateway._accepted if status < 300 else gateway.refused).append(body)
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(b'{"ok": true}' if status < 300 else b'{"ok": false}')

            def log_message(self, *_: Any) -> None:
                pass

        return Handler
