"""Real rasa-sdk trackers for action tests (no mocks: the actions see what Rasa sends)."""

from __future__ import annotations

from typing import Any, Dict, List

from rasa_sdk import Tracker

from tickets.errors import TicketStoreUnavailable
from tickets.service import TicketService


def tracker(
    text: str = "",
    intent: str = "inform",
    entities: List[Dict[str, Any]] | None = None,
    slots: Dict[str, Any] | None = None,
    sender: str = "resident-1",
    active_loop: str | None = None,
    channel: str = "rest",
    metadata: Dict[str, Any] | None = None,
) -> Tracker:
    message = {
        "text": text,
        "intent": {"name": intent, "confidence": 0.99},
        "entities": entities or [],
        "intent_ranking": [{"name": intent, "confidence": 0.99}],
    }
    events = [
        {
            "event": "user",
            "text": text,
            "timestamp": 1764400000.0,
            "parse_data": message,
            "input_channel": channel,
            "metadata": metadata or {},
        },
    ]
    return Tracker(
        sender_id=sender,
        slots=slots or {},
        latest_message=message,
        events=events,
        paused=False,
        followup_action=None,
        active_loop={"name": active_loop} if active_loop else {},
        latest_action_name="action_listen",
    )


def entity(name: str, value: str) -> Dict[str, Any]:
    return {"entity": name, "value": value, "start": 0, "end": len(value)}


def responses(dispatcher) -> List[str]:
    return [message.get("response") for message in dispatcher.messages]


class BrokenStore(TicketService):
    """A store whose database is down (only the failure is faked; nothing else is)."""

    def __init__(self) -> None:
        super().__init__("sqlite:///unused.db")

    def _session(self):  # type: ignore[no-untyped-def]
        raise TicketStoreUnavailable("database is down")
