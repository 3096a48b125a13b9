"""Never silence, measured (issue 21): time to the hotline while the action server hangs (target
<= 2 s), time to an honest answer then (target within the action timeout), and a 100,000-character
message: its answer (target <= 1 s) and how much it slows a neighbour's turn (target <= 200 ms).

Runs the real action server and Rasa server (WeChat on, plain mode, against a fake WeChat API);
the action server is stopped with SIGSTOP and resumed with SIGCONT, as in the issue.
"""

from __future__ import annotations

import os
import signal
import statistics
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Dict, List

import httpx

from bench.stack import running_stack
from bench.wechat import APP_ID, APP_SECRET, TOKEN, wechat_overrides
from bot.runner import Service
from bot.settings import Settings
from tests.channels.wechat_fakes import FakeWeChatApi, WeChatPlatform, message_xml

REPEATS = 5
LONG_MESSAGE = "楼上天天半夜装修太吵了，" * 8_400  # about 100,000 characters
NEIGHBOUR_TURNS = ["你好", "你是机器人吗", "谢谢", "再见"]


def _rest(url: str, sender: str, message: str) -> float:
    started = time.perf_counter()
    response = httpx.post(url, json={"sender": sender, "message": message}, timeout=120)
    response.raise_for_status()
    assert response.json(), "an empty answer"
    return time.perf_counter() - started


def _sender() -> str:
    return f"bench-{uuid.uuid4().hex[:12]}"


def hung_action_server(settings: Settings, actions: Service, platform: WeChatPlatform) -> Dict[str, float]:
    url = f"{settings.rasa_url}/webhooks/rest/webhook"
    rest_hotline: List[float] = []
    wechat_hotline: List[float] = []
    ordinary: List[float] = []
    os.kill(actions.process.pid, signal.SIGSTOP)
    try:
        for _ in range(REPEATS):
            rest_hotline.append(_rest(url, _sender(), "厨房着火了"))
            openid = f"o{uuid.uuid4().hex[:27]}"
            started = time.perf_counter()
            xml = message_xml(openid, "text", {"Content": "着火了"}, msg_id=platform.new_msg_id())
            reply = platform.reply(platform.post(xml))
            wechat_hotline.append(time.perf_counter() - started)
            assert reply and "119" in reply["Content"], reply
            ordinary.append(_rest(url, _sender(), "楼道的灯坏了，想投诉一下"))
    finally:
        os.kill(actions.process.pid, signal.SIGCONT)
    return {
        "action_timeout_s": settings.action_timeout_seconds,
        "rest_hotline_max_s": max(rest_hotline),
        "wechat_hotline_max_s": max(wechat_hotline),
        "ordinary_answer_max_s": max(ordinary),
    }


def long_message(settings: Settings) -> Dict[str, float]:
    url = f"{settings.rasa_url}/webhooks/rest/webhook"

    def neighbour() -> List[float]:
        sender = _sender()
        return [_rest(url, sender, text) for text in NEIGHBOUR_TURNS]

    alone = [latency for _ in range(REPEATS) for latency in neighbour()]
    long_answers: List[float] = []
    beside: List[float] = []
    with ThreadPoolExecutor(2) as pool:
        for _ in range(REPEATS):
            long_turn = pool.submit(_rest, url, _sender(), LONG_MESSAGE)
            beside += neighbour()
            long_answers.append(long_turn.result())
    already_short = [_rest(url, _sender(), LONG_MESSAGE[: settings.max_message_chars]) for _ in range(REPEATS)]
    return {
        "characters": len(LONG_MESSAGE),
        "answer_max_s": max(long_answers),
        "answer_p50_s": statistics.median(long_answers),
        "same_text_already_cut_p50_s": statistics.median(already_short),
        "neighbour_alone_p50_ms": 1000 * statistics.median(alone),
        "neighbour_beside_p50_ms": 1000 * statistics.median(beside),
        "neighbour_slowdown_p50_ms": 1000 * (statistics.median(beside) - statistics.median(alone)),
        "neighbour_slowdown_max_ms": 1000 * (max(beside) - max(alone)),
    }


def bench_faults(model: Path) -> Dict[str, Any]:
    api = FakeWeChatApi(APP_ID, APP_SECRET)
    try:
        with (
            tempfile.TemporaryDirectory() as workdir,
            running_stack(
                Path(workdir),
                without={"staff"},
                model_path=str(model),
                rate_limit_per_sender=1000,
                **wechat_overrides(api),
            ) as (settings, running),
        ):
            platform = WeChatPlatform(f"{settings.rasa_url}/webhooks/wechat/webhook", TOKEN, None)
            [actions] = [service for service in running if service.name == "actions"]
            _rest(f"{settings.rasa_url}/webhooks/rest/webhook", _sender(), "你好")  # warm-up
            return {
                "long_message": long_message(settings),
                "hung_action_server": hung_action_server(settings, actions, platform),
            }
    finally:
        api.close()
