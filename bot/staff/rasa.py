"""The staff/web service's calls to the Rasa server: the REST channel and conversation trackers.

Browsers never talk to Rasa directly, so RASA_API_TOKEN stays on the server and the web chat
needs no second origin (no CORS, one address behind a proxy).
"""

from __future__ import annotations

from typing import Any, Dict, List
from urllib.parse import quote

import httpx

from bot.settings import Settings, rasa_api_token

TIMEOUT_SECONDS = 15


class RasaClient:
    """Raises ``httpx.HTTPError`` (or ``ValueError`` for a body that is not JSON) when Rasa fails."""

    def __init__(self, settings: Settings) -> None:
        self._base = settings.rasa_url
        self._token = {"token": rasa_api_token(settings)}

    async def say(self, sender: str, message: str) -> List[Dict[str, Any]]:
        """One message through Rasa's REST channel; its answers."""
        async with httpx.AsyncClient(timeout=TIMEOUT_SECONDS) as client:
            response = await client.post(
                f"{self._base}/webhooks/rest/webhook", json={"sender": sender, "message": message}
            )
        response.raise_for_status()
        return response.json()

    async def tracker(self, conversation_id: str) -> Dict[str, Any]:
        """The conversation's slots and events since its last restart."""
        async with httpx.AsyncClient(timeout=TIMEOUT_SECONDS) as client:
            response = await client.get(f"{self._base}/conversations/{conversation_id}/tracker", params=self._token)
        response.raise_for_status()
        return response.json()

    async def empty_conversation(self, conversation_id: str) -> None:
        """Replace the conversation's events with none: the conversation store then deletes them
        (see :mod:`bot.tracker_store`). Rasa holds the conversation's lock meanwhile, so a turn in
        progress finishes first."""
        async with httpx.AsyncClient(timeout=TIMEOUT_SECONDS) as client:
            response = await client.put(
                f"{self._base}/conversations/{quote(conversation_id, safe='')}/tracker/events",
                params=self._token,
                json=[],
            )
        response.raise_for_status()
