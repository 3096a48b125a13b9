"""The safety net every channel puts around a resident's turn, so that the answer is never silence.

Rasa's turn needs the lock store, the tracker store and the action server; any of them can fail
or hang. The channel runs the turn as a task and watches it: an emergency gets its hotline within
``hotline_wait`` seconds whatever Rasa is doing, a failed turn an honest note with the duty phone.
The hotline comes from Rasa's loaded domain and the emergency check from its NLU, neither of
which needs the lock store, the action server or the database.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import Any, Awaitable, Dict, Sequence

from bot.channels import replies
from bot.settings import Settings
from policy_kb.emergency import GENERAL, default_detector, detect, emergency_probability

logger = logging.getLogger(__name__)

FULL_TEXT = "full_text"  # metadata key: the whole message when only its start reached the NLU
HOTLINE_PREFIX = "utter_emergency_"

DONE = "done"
FAILED = "failed"
LATE = "late"


@dataclass(frozen=True)
class Incoming:
    """A resident's text as Rasa gets it, and what to tell them first (the text was cut)."""

    text: str
    metadata: Dict[str, Any]
    notice: str | None = None


@dataclass
class Watched:
    """How a turn went: ``done``, ``failed`` or still running (``late``), and what the net adds."""

    task: asyncio.Future
    state: str
    emergency: bool = False
    hotline: Dict[str, Any] | None = None  # the hotline, when Rasa has not sent it yet


async def emergency_kind(text: str, agent: Any | None) -> str | None:
    """The kind of emergency ``text`` reports, or None.

    The same decision as GuardPolicy's (policy_kb's detector, with the NLU's emergency probability
    as one of its inputs); without a working NLU the detector decides alone, as missing a fire is worse.
    """
    probability: float | None = None
    try:
        probability = emergency_probability(await agent.parse_message(text))
    except Exception:  # no model, or the NLU itself failing: the detector decides without it
        logger.warning("NLU unavailable for the emergency check; the detector decides alone")
    assessment = detect(text, probability)
    return assessment.kind if assessment.is_emergency else None


class SafetyNet:
    """One per channel: prepares a resident's text and watches the turn Rasa runs on it."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def text(self, template: str) -> Dict[str, Any]:
        return {"text": template.format(duty_phone=self.settings.duty_phone, limit=self.settings.max_message_chars)}

    def prepare(self, text: str | None, metadata: Dict[str, Any] | None = None) -> Incoming | None:
        """None for an empty message (answer :data:`replies.EMPTY`); long texts cut for the NLU."""
        stripped = (text or "").strip()
        if not stripped:
            return None
        metadata = dict(metadata or {})
        limit = self.settings.max_message_chars
        if len(stripped) <= limit:
            return Incoming(stripped, metadata)
        logger.info("a message of %d characters cut to %d for the NLU", len(stripped), limit)
        metadata[FULL_TEXT] = stripped
        return Incoming(stripped[:limit], metadata, self.text(replies.TOO_LONG)["text"])

    def hotline(self, kind: str, agent: Any | None) -> Dict[str, Any]:
        """The first answer to this kind of emergency, from Rasa's domain (the same as GuardPolicy sends)."""
        responses = getattr(getattr(agent, "domain", None), "responses", None) or {}
        for name in (f"{HOTLINE_PREFIX}{kind}", f"{HOTLINE_PREFIX}{GENERAL}"):
            variants = responses.get(name) or []
            if variants and variants[0].get("text"):
                return {"text": variants[0]["text"]}
        return {"text": replies.HOTLINES}

    def _hotline_texts(self, agent: Any | None) -> set[str]:
        return {self.hotline(kind, agent)["text"] for kind in default_detector().kinds}

    async def watch(
        self,
        turn: Awaitable[Any],
        text: str,
        sent: Sequence[Dict[str, Any]],
        agent: Any | None,
        *,
        give_up_after: float,
    ) -> Watched:
        """Runs ``turn`` until it ends, or until it is late for an emergency or for anyone.

        ``sent`` is the list the turn's output channel fills, so the net knows whether Rasa
        already gave the hotline. A late turn keeps running; the caller decides what to say now.
        """
        task = asyncio.ensure_future(turn)
        task.add_done_callback(_log_failure)
        first_wait = min(self.settings.hotline_wait_seconds, give_up_after)
        await asyncio.wait({task}, timeout=first_wait)
        if not task.done():
            watched = await self._emergency(task, LATE, text, sent, agent)
            if watched.emergency:
                logger.warning("an emergency turn is late: the hotline goes out now")
                return watched
            await asyncio.wait({task}, timeout=max(0.0, give_up_after - first_wait))
        if not task.done():
            logger.warning("a turn took longer than %.1f s: the resident gets an honest note", give_up_after)
            return await self._emergency(task, LATE, text, sent, agent)
        if task.cancelled() or task.exception() is not None:
            return await self._emergency(task, FAILED, text, sent, agent)
        return Watched(task, DONE)

    async def _emergency(
        self, task: asyncio.Future, state: str, text: str, sent: Sequence[Dict[str, Any]], agent: Any | None
    ) -> Watched:
        if self.hotline_sent(sent, agent):
            return Watched(task, state, emergency=True)
        hotline = await self.missing_hotline(text, sent, agent)
        return Watched(task, state, emergency=hotline is not None, hotline=hotline)

    def hotline_sent(self, sent: Sequence[Dict[str, Any]], agent: Any | None) -> bool:
        hotlines = self._hotline_texts(agent)
        return any(message.get("text") in hotlines for message in sent)

    async def missing_hotline(
        self, text: str, sent: Sequence[Dict[str, Any]], agent: Any | None
    ) -> Dict[str, Any] | None:
        """The hotline for ``text`` when it reports an emergency and ``sent`` does not hold it yet."""
        if self.hotline_sent(sent, agent):
            return None
        kind = await emergency_kind(text, agent)
        return None if kind is None else self.hotline(kind, agent)


def _log_failure(task: asyncio.Future) -> None:
    """A turn's exception is always read (and logged once), even when nobody waits for it any more."""
    if task.cancelled():
        logger.error("a resident's turn was cancelled")
    elif task.exception() is not None:
        logger.error("a resident's turn failed", exc_info=task.exception())
