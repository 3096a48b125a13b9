"""The official account HTTP API (access token, customer-service messages, menu), over httpx.

The access token lives in the shared channel state, so all processes use one token
(WeChat limits refreshes a day and a refresh by one process ends the others' tokens).
"""

from __future__ import annotations

import asyncio
import json
import logging
from datetime import timedelta
from typing import Any, Dict

import httpx
from sqlalchemy.exc import SQLAlchemyError

from bot.delivery import tokens
from bot.delivery.tables import utcnow

logger = logging.getLogger(__name__)

TOKEN_EXPIRED = {40001, 40014, 42001}  # invalid, malformed or expired access token: refresh and retry once
OUT_OF_WINDOW = 45015  # the resident has not written in 48 hours
TIMEOUT_SECONDS = 10


class WeChatApiError(Exception):
    def __init__(self, errcode: int, errmsg: str) -> None:
        super().__init__(f"errcode {errcode}: {errmsg}")
        self.errcode = errcode
        self.errmsg = errmsg


class WeChatApi:
    """One official account's API at ``api_base`` (WeChat's own, or a fake in tests)."""

    def __init__(self, api_base: str, app_id: str, app_secret: str, database_url: str) -> None:
        self.api_base = api_base if api_base.endswith("/") else api_base + "/"
        self.app_id = app_id
        self.app_secret = app_secret
        self.database_url = database_url
        self._refresh_lock = asyncio.Lock()
        self._client: httpx.AsyncClient | None = None

    @property
    def client(self) -> httpx.AsyncClient:
        if self._client is None or self._client.is_closed:
            self._client = httpx.AsyncClient(base_url=self.api_base, timeout=TIMEOUT_SECONDS)
        return self._client

    async def close(self) -> None:
        if self._client is not None:
            await self._client.aclose()

    async def access_token(self) -> str:
        token = await self._cached_token()
        if token:
            return token
        async with self._refresh_lock:  # one refresh per process at a time; the database shares it
            token = await self._cached_token()
            if token:
                return token
            response = await self.client.get(
                "token", params={"grant_type": "client_credential", "appid": self.app_id, "secret": self.app_secret}
            )
            body = _json(response)
            if "access_token" not in body:
                raise WeChatApiError(int(body.get("errcode", -1)), str(body.get("errmsg", "no access_token")))
            token = body["access_token"]
            expires_at = utcnow() + timedelta(seconds=int(body.get("expires_in", 7200)))
            try:
                await asyncio.to_thread(tokens.store_token, self.database_url, self.app_id, token, expires_at)
            except SQLAlchemyError:  # a read-only database: this process uses the token unshared
                logger.exception("WeChat access token not stored")
            logger.info("WeChat access token refreshed")
            return token

    async def _cached_token(self) -> str | None:
        try:
            return await asyncio.to_thread(tokens.cached_token, self.database_url, self.app_id)
        except SQLAlchemyError:
            logger.exception("WeChat access token store unreadable; asking WeChat")
            return None

    async def call(self, path: str, payload: Dict[str, Any]) -> Dict[str, Any]:
        """POST ``payload`` to ``path``; raises :class:`WeChatApiError` on a non-zero errcode."""
        token = await self.access_token()
        body = await self._post(path, token, payload)
        if int(body.get("errcode", 0)) in TOKEN_EXPIRED:
            logger.warning("WeChat refused the access token (errcode %s); refreshing", body["errcode"])
            await asyncio.to_thread(tokens.forget_token, self.database_url, self.app_id, token)
            body = await self._post(path, await self.access_token(), payload)
        errcode = int(body.get("errcode", 0))
        if errcode:
            raise WeChatApiError(errcode, str(body.get("errmsg", "")))
        return body

    async def _post(self, path: str, token: str, payload: Dict[str, Any]) -> Dict[str, Any]:
        # ensure_ascii=False: WeChat shows \uXXXX escapes literally in some clients.
        content = json.dumps(payload, ensure_ascii=False).encode("utf-8")
        response = await self.client.post(
            path, params={"access_token": token}, content=content, headers={"Content-Type": "application/json"}
        )
        return _json(response)

    async def send_text(self, openid: str, text: str) -> None:
        """A customer-service (客服) text message."""
        await self.call("message/custom/send", {"touser": openid, "msgtype": "text", "text": {"content": text}})

    async def create_menu(self, menu: Dict[str, Any]) -> None:
        await self.call("menu/create", menu)


def _json(response: httpx.Response) -> Dict[str, Any]:
    response.raise_for_status()
    # WeChat answers JSON in UTF-8 but does not always say so in the content type.
    return json.loads(response.content.decode("utf-8"))
