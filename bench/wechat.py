"""WeChat channel figures: p95 time to a passive reply for a text message (target <= 300 ms,
WeChat gives up at 5 s) and duplicate tickets under a burst of retried MsgIds (target 0).

Runs the real action server and Rasa server in plain mode against a fake WeChat API on loopback.
"""

from __future__ import annotations

import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Callable, Dict, List

import httpx

from bench.load import percentile
from bench.stack import running_stack
from tests.channels.wechat_fakes import FakeWeChatApi, WeChatPlatform, message_xml
from tickets.service import TicketService

TOKEN, APP_ID, APP_SECRET = "bench-token", "wxbench0000000000", "bench-secret"
PASSIVE_MESSAGES = ["你好", "谢谢", "你是机器人吗", "再见"]
REPEATS = 15
BURST_RESIDENTS = 8
COPIES = 4  # the first delivery and WeChat's three retries, all at once


def _text(platform: WeChatPlatform, openid: str, content: str, msg_id: int | None = None) -> str:
    return message_xml(openid, "text", {"Content": content}, msg_id=msg_id or platform.new_msg_id())


def passive_latency(platform: WeChatPlatform, rasa_url: str) -> Dict[str, float]:
    """WeChat turns, each next to the same turn over the REST channel, so the channel's own cost shows."""
    latencies: List[float] = []
    rest: List[float] = []
    passive = 0
    for repeat in range(REPEATS + 1):
        openid = f"obench{repeat:022d}"
        for content in PASSIVE_MESSAGES:
            started = time.perf_counter()
            response = platform.post(_text(platform, openid, content))
            elapsed = time.perf_counter() - started
            response.raise_for_status()
            started = time.perf_counter()
            httpx.post(f"{rasa_url}/webhooks/rest/webhook", json={"sender": f"r{openid}", "message": content})
            if repeat:  # the first round warms up
                rest.append(time.perf_counter() - started)
                latencies.append(elapsed)
                passive += response.text != "success"
    return {
        "messages": len(latencies),
        "passive_share": passive / len(latencies),
        "p50_ms": 1000 * percentile(latencies, 0.5),
        "p95_ms": 1000 * percentile(latencies, 0.95),
        "max_ms": 1000 * max(latencies),
        "rest_same_turns_p50_ms": 1000 * percentile(rest, 0.5),
        "rest_same_turns_p95_ms": 1000 * percentile(rest, 0.95),
    }


def retried_burst(platform: WeChatPlatform, database_url: str) -> Dict[str, Any]:
    """Each resident's ticket-writing message arrives ``COPIES`` times at once with one MsgId."""
    residents = [f"oburst{index:022d}" for index in range(BURST_RESIDENTS)]
    for openid in residents:
        for content in ("小区北门的路灯不亮了，晚上太黑", "北门"):
            platform.post(_text(platform, openid, content)).raise_for_status()
    finals = {openid: _text(platform, openid, "匿名", platform.new_msg_id()) for openid in residents}
    jobs: List[Callable[[], Any]] = [
        (lambda xml=xml: platform.post(xml)) for xml in finals.values() for _ in range(COPIES)
    ]
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=len(jobs)) as pool:
        responses = list(pool.map(lambda job: job(), jobs))
    burst_seconds = time.perf_counter() - started
    counts = settled_ticket_counts(TicketService(database_url), residents)
    return {
        "deliveries": len(jobs),
        "answered_200": sum(response.status_code == 200 for response in responses),
        "burst_seconds": burst_seconds,
        "residents_with_a_ticket": sum(count >= 1 for count in counts),
        "duplicate_tickets": sum(max(0, count - 1) for count in counts),
    }


def settled_ticket_counts(
    store: TicketService, residents: List[str], quiet: float = 2.0, timeout: float = 20.0
) -> List[int]:
    """Each resident's ticket count once answers deferred past WeChat's window have finished:
    every resident has a ticket and no count has changed for ``quiet`` seconds (or ``timeout``
    has passed). A duplicate would come from a retry handled beside its first delivery, so it
    lands within moments of the original."""

    def count() -> List[int]:
        return [len(store.tickets_of(openid, limit=10)) for openid in residents]

    deadline = time.monotonic() + timeout
    counts, changed = count(), time.monotonic()
    while time.monotonic() < deadline:
        if min(counts) >= 1 and time.monotonic() - changed >= quiet:
            break
        time.sleep(0.25)
        latest = count()
        if latest != counts:
            counts, changed = latest, time.monotonic()
    return counts


def wechat_overrides(api: FakeWeChatApi) -> Dict[str, Any]:
    """Settings of an official account whose API calls go to ``api``."""
    return dict(wechat_token=TOKEN, wechat_app_id=APP_ID, wechat_app_secret=APP_SECRET, wechat_api_base=api.base)


def bench_wechat(model: Path) -> Dict[str, Any]:
    api = FakeWeChatApi(APP_ID, APP_SECRET)
    try:
        with (
            tempfile.TemporaryDirectory() as workdir,
            running_stack(Path(workdir), without={"staff"}, model_path=str(model), **wechat_overrides(api)) as (
                settings,
                _,
            ),
        ):
            platform = WeChatPlatform(f"{settings.rasa_url}/webhooks/wechat/webhook", TOKEN, None)
            return {
                "passive_reply": passive_latency(platform, settings.rasa_url),
                "retried_burst": retried_burst(platform, settings.database_url),
            }
    finally:
        api.close()
