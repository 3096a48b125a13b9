"""The channels' safety net without Rasa: cut texts, limits, and what a hung or failing turn gets.

Rasa's agent is stood in for by a domain with the real hotline texts and an NLU that says whether
a text is an emergency; the turns are real coroutines that hang or fail.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from types import SimpleNamespace
from typing import Any, Dict, List

import pytest
import yaml

from bot.channels import replies
from bot.channels.limits import RateLimiter, WebhookLimits
from bot.channels.safety import DONE, FAILED, FULL_TEXT, LATE, SafetyNet
from bot.rasa_cli import parse_request_problem
from bot.settings import Settings

DOMAIN = yaml.safe_load((Path(__file__).resolve().parents[2] / "domain.yml").read_text(encoding="utf-8"))
FIRE = DOMAIN["responses"]["utter_emergency_fire"][0]["text"]


class StandInAgent:
    """The two things the net asks of Rasa's agent: its domain's responses and an NLU parse."""

    def __init__(self, emergencies: tuple[str, ...] = ("着火",)) -> None:
        self.domain = SimpleNamespace(responses=DOMAIN["responses"])
        self.emergencies = emergencies

    async def parse_message(self, text: str) -> Dict[str, Any]:
        urgent = any(word in text for word in self.emergencies)
        return {"intent": {"name": "report_emergency" if urgent else "greet", "confidence": 0.9}}


def net(**overrides: Any) -> SafetyNet:
    return SafetyNet(Settings(hotline_wait_seconds=0.2, duty_phone="025-1234 5678", **overrides))


async def hang(sent: List[Dict[str, Any]], first: Dict[str, Any] | None = None) -> None:
    if first:
        sent.append(first)
    await asyncio.sleep(3600)


async def fail() -> None:
    raise ConnectionError("lock store down")


def watch(safety: SafetyNet, turn: Any, text: str, sent: List[Dict[str, Any]], agent: Any, give_up: float):
    async def run():
        watched = await safety.watch(turn, text, sent, agent, give_up_after=give_up)
        watched.task.cancel()
        return watched

    return asyncio.run(run())


def test_an_emergency_gets_its_hotline_while_rasa_hangs():
    sent: List[Dict[str, Any]] = []
    watched = watch(net(), hang(sent), "厨房着火了", sent, StandInAgent(), give_up=30)
    assert watched.state == LATE and watched.emergency
    assert watched.hotline == {"text": FIRE}


def test_a_hotline_rasa_already_sent_is_not_sent_twice():
    sent: List[Dict[str, Any]] = []
    watched = watch(net(), hang(sent, {"text": FIRE}), "厨房着火了", sent, StandInAgent(), give_up=30)
    assert watched.state == LATE and watched.emergency and watched.hotline is None


def test_a_slow_ordinary_turn_is_late_without_a_hotline():
    sent: List[Dict[str, Any]] = []
    watched = watch(net(), hang(sent), "你好", sent, StandInAgent(), give_up=0.5)
    assert watched.state == LATE and not watched.emergency and watched.hotline is None


def test_a_failed_emergency_turn_gets_the_hotline_from_keywords_when_the_nlu_is_gone_too():
    watched = watch(net(), fail(), "家里着火了", [], None, give_up=5)
    assert watched.state == FAILED and watched.hotline is not None
    assert "119" in watched.hotline["text"]  # the general hotlines, as the domain is not loaded


def test_a_finished_turn_is_done():
    async def answer() -> None:
        return None

    assert watch(net(), answer(), "你好", [], StandInAgent(), give_up=5).state == DONE


def test_empty_and_whitespace_messages_never_reach_rasa():
    assert net().prepare("") is None and net().prepare(" \n\t　") is None


def test_a_long_message_is_cut_for_the_nlu_and_kept_whole_in_the_metadata():
    text = "楼道里" + "很吵" * 50_000
    incoming = net(max_message_chars=500).prepare(text, {"source": "app"})
    assert len(incoming.text) == 500 and text.startswith(incoming.text)
    assert incoming.metadata == {"source": "app", FULL_TEXT: text}
    assert incoming.notice == replies.TOO_LONG.format(limit=500)


def test_a_short_message_passes_unchanged():
    incoming = net().prepare("  你好 ")
    assert (incoming.text, incoming.metadata, incoming.notice) == ("你好", {}, None)


def test_the_rate_limiter_counts_per_key_and_window():
    now = [0.0]
    limiter = RateLimiter(3, window=60, clock=lambda: now[0])
    assert [limiter.allow("a") for _ in range(4)] == [True, True, True, False]
    assert limiter.allow("b")
    now[0] = 60.0
    assert limiter.allow("a")


def test_trusted_addresses_have_no_address_limit():
    limits = WebhookLimits(Settings(rate_limit_per_ip=1, rate_limit_trusted_ips="10.0.0.1"))
    assert all(limits.address_allowed("10.0.0.1") for _ in range(5))
    assert limits.address_allowed("203.0.113.9") and not limits.address_allowed("203.0.113.9")


@pytest.mark.parametrize("body", [b"", b"[]", b'"text"', b"{}", b'{"text": 5}', b'{"text": "  "}', b"\xff"])
def test_parse_bodies_that_cannot_be_parsed_are_named(body):
    assert parse_request_problem(body, 500)


def test_parse_bodies_that_can_be_parsed_pass():
    assert parse_request_problem('{"text": "你好"}'.encode(), 500) is None
    too_long = json.dumps({"text": "长" * 501}).encode()
    assert parse_request_problem(too_long, 500) == '"text" must be at most 500 characters'


def test_platform_webhooks_count_only_refused_requests_against_an_address():
    limits = WebhookLimits(Settings(rate_limit_per_ip=2, rate_limit_trusted_ips=""))
    assert not limits.address_blocked("203.0.113.9")
    limits.refused("203.0.113.9")
    assert not limits.address_blocked("203.0.113.9")
    limits.refused("203.0.113.9")
    assert limits.address_blocked("203.0.113.9") and not limits.address_blocked("203.0.113.10")
