"""Test doubles that speak real protocols on loopback: WeChat's API, WeChat's push, a slow action server."""

from __future__ import annotations

import json
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Dict, List, Set
from urllib.parse import parse_qs, urlparse

import httpx
import xmltodict
from wechatpy.crypto import WeChatCrypto
from wechatpy.utils import WeChatSigner

ACCOUNT = "gh_shequtong"


class _Server(ThreadingHTTPServer):
    daemon_threads = True


class FakeWeChatApi:
    """WeChat's API (token, 客服 messages, menu) as a real HTTP server that records every call."""

    def __init__(self, app_id: str, app_secret: str) -> None:
        self.app_id, self.app_secret = app_id, app_secret
        self.lock = threading.Lock()
        self.token_calls = 0
        self.current_token = ""
        self.sent: List[Dict[str, Any]] = []
        self.menus: List[Dict[str, Any]] = []
        self.out_of_window: Set[str] = set()
        self.failing: Set[str] = set()  # openids whose sends fail with a server error
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def _answer(self, body: Dict[str, Any], status: int = 200) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "text/plain")  # as WeChat does
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:
                url = urlparse(self.path)
                query = {k: v[0] for k, v in parse_qs(url.query).items()}
                if url.path != "/cgi-bin/token":
                    return self._answer({"errcode": 404}, 404)
                if query.get("appid") != fake.app_id or query.get("secret") != fake.app_secret:
                    return self._answer({"errcode": 40013, "errmsg": "invalid appid"})
                with fake.lock:
                    fake.token_calls += 1
                    fake.current_token = f"token-{fake.token_calls}-{uuid.uuid4().hex[:6]}"
                    return self._answer({"access_token": fake.current_token, "expires_in": 7200})

            def do_POST(self) -> None:
                url = urlparse(self.path)
                token = parse_qs(url.query).get("access_token", [""])[0]
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])).decode("utf-8"))
                with fake.lock:
                    if token != fake.current_token:
                        return self._answer({"errcode": 40001, "errmsg": "invalid credential"})
                    if url.path == "/cgi-bin/menu/create":
                        fake.menus.append(body)
                        return self._answer({"errcode": 0, "errmsg": "ok"})
                    if url.path != "/cgi-bin/message/custom/send":
                        return self._answer({"errcode": 404}, 404)
                    if body["touser"] in fake.failing:
                        return self._answer({"errcode": -1, "errmsg": "system error"})
                    if body["touser"] in fake.out_of_window:
                        return self._answer({"errcode": 45015, "errmsg": "response out of time limit"})
                    fake.sent.append(body)
                    return self._answer({"errcode": 0, "errmsg": "ok"})

        self.server = _Server(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}/cgi-bin/"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def expire_token(self) -> None:
        with self.lock:
            self.current_token = "expired-by-wechat"

    def texts_to(self, openid: str) -> List[str]:
        with self.lock:
            return [m["text"]["content"] for m in self.sent if m["touser"] == openid]

    def wait_for_texts(self, openid: str, count: int, timeout: float = 40) -> List[str]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            texts = self.texts_to(openid)
            if len(texts) >= count:
                return texts
            time.sleep(0.1)
        raise AssertionError(f"only {self.texts_to(openid)} reached {openid} in {timeout}s")

    def close(self) -> None:
        self.server.shutdown()


class SlowActionProxy:
    """Sits between Rasa and the action server and can hold every call, to make answers slow."""

    def __init__(self, target: str) -> None:
        self.target = target
        self.delay = 0.0
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                time.sleep(proxy.delay)
                upstream = httpx.post(
                    proxy.target, content=body, headers={"Content-Type": "application/json"}, timeout=60
                )
                self.send_response(upstream.status_code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(upstream.content)))
                self.end_headers()
                self.wfile.write(upstream.content)

        self.server = _Server(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/webhook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()


class WeChatPlatform:
    """Plays WeChat's servers towards our webhook: signs, encrypts in safe mode, posts real XML."""

    def __init__(self, webhook: str, token: str, crypto: WeChatCrypto | None) -> None:
        self.webhook, self.token, self.crypto = webhook, token, crypto
        self._msg_ids = iter(range(int(time.time() * 1000), 2**63))

    def new_msg_id(self) -> int:
        return next(self._msg_ids)

    def signed_args(self, timestamp: int | None = None, nonce: str | None = None) -> Dict[str, str]:
        timestamp_text, nonce = str(timestamp or int(time.time())), nonce or uuid.uuid4().hex[:10]
        signer = WeChatSigner()
        signer.add_data(self.token, timestamp_text, nonce)
        return {"signature": signer.signature, "timestamp": timestamp_text, "nonce": nonce}

    def verify(self, echostr: str, **overrides: str) -> httpx.Response:
        return httpx.get(self.webhook, params={**self.signed_args(), "echostr": echostr, **overrides}, timeout=10)

    def post_raw(self, body: bytes, args: Dict[str, str]) -> httpx.Response:
        return httpx.post(self.webhook, params=args, content=body, timeout=30)

    def post(self, xml: str, *, timestamp: int | None = None, tamper: str | None = None) -> httpx.Response:
        """Deliver ``xml`` as WeChat would (encrypted and with msg_signature in safe mode)."""
        args = self.signed_args(timestamp)
        body = xml
        if self.crypto is not None:
            envelope = self.crypto.encrypt_message(xml, args["nonce"], args["timestamp"])
            fields = xmltodict.parse(envelope)["xml"]
            args.update(encrypt_type="aes", msg_signature=fields["MsgSignature"])
            body = (
                f"<xml><ToUserName><![CDATA[{ACCOUNT}]]></ToUserName>"
                f"<Encrypt><![CDATA[{fields['Encrypt']}]]></Encrypt></xml>"
            )
        if tamper:
            args[tamper] = "0" * 40
        return self.post_raw(body.encode("utf-8"), args)

    def reply(self, response: httpx.Response) -> Dict[str, str] | None:
        """The passive reply's fields (decrypted in safe mode), or None for ``success``."""
        assert response.status_code == 200, (response.status_code, response.text)
        if response.text == "success":
            return None
        xml = response.text
        if self.crypto is not None:
            fields = xmltodict.parse(xml)["xml"]
            xml = self.crypto.decrypt_message(xml, fields["MsgSignature"], fields["TimeStamp"], fields["Nonce"])
        return dict(xmltodict.parse(xml)["xml"])


def message_xml(
    openid: str, msg_type: str, fields: Dict[str, str], *, msg_id: int | None, created: int | None = None
) -> str:
    """An official account push message, as WeChat's documentation shows it."""
    parts = [
        f"<ToUserName><![CDATA[{ACCOUNT}]]></ToUserName>",
        f"<FromUserName><![CDATA[{openid}]]></FromUserName>",
        f"<CreateTime>{created or int(time.time())}</CreateTime>",
        f"<MsgType><![CDATA[{msg_type}]]></MsgType>",
        *(f"<{name}><![CDATA[{value}]]></{name}>" for name, value in fields.items()),
    ]
    if msg_id is not None:
        parts.append(f"<MsgId>{msg_id}</MsgId>")
    return "<xml>" + "".join(parts) + "</xml>"
