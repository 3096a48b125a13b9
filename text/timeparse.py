"""Chinese time expressions (明天下午三点, 下周二上午, 12月3号) to concrete Asia/Shanghai times.

jionlp does the parsing. This module only adds what a booking needs: residents
mean the *next* Saturday or the *next* 3rd when that day has passed, and a
vague part of day (上午) stands for a sensible default hour.
"""

from __future__ import annotations

import functools
import logging
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from types import ModuleType
from zoneinfo import ZoneInfo

from dateutil.relativedelta import relativedelta

logger = logging.getLogger(__name__)

SHANGHAI = ZoneInfo("Asia/Shanghai")

# Spoken contractions jionlp reads as today (明早 → 今天早上); spelled out they parse right.
_CONTRACTIONS = {
    "明早": "明天早上",
    "明晚": "明天晚上",
    "明儿": "明天",
    "今儿": "今天",
    "今早": "今天早上",
    "今晚": "今天晚上",
}
_WEEKDAY = re.compile(r"(周|星期|礼拜)[一二三四五六日天1-7]")
# 上周六 / 这个月3号 / 昨天 name a day on purpose, even a past one (上午 and 下午 do not).
_RELATIVE = re.compile(r"(上|下|这|本)个?(周|星期|礼拜|月)|昨|前天|去年")
_DAY_OF_MONTH_ONLY = re.compile(r"\d{1,2}\s*[号日]|[一二三四五六七八九十]{1,3}\s*[号日]")


@dataclass(frozen=True)
class TimeSpan:
    """Where a time expression stands in a text; a duration (三天, 一个礼拜) names no time."""

    start: int
    end: int
    duration: bool


@dataclass(frozen=True)
class ParsedTime:
    """The start of what the resident meant and whether they named an hour."""

    start: datetime
    has_clock_time: bool


def _normalise(text: str) -> str:
    for short, full in _CONTRACTIONS.items():
        text = text.replace(short, full)
    return text


def _prefer_future(text: str, start: datetime, now: datetime) -> datetime:
    """A bare weekday or day of month that has passed means the next one."""
    if start >= now - timedelta(hours=1) or _RELATIVE.search(text):
        return start
    if _WEEKDAY.search(text):
        while start < now:
            start += timedelta(days=7)
    elif _DAY_OF_MONTH_ONLY.search(text) and "月" not in text:
        while start < now:
            start += relativedelta(months=1)
    return start


def parse_time(text: str, now: datetime | None = None) -> ParsedTime | None:
    """The time a resident named, or ``None`` when the text holds no time expression."""
    now = (now or datetime.now(SHANGHAI)).astimezone(SHANGHAI)
    cleaned = _normalise(text.strip())
    if not cleaned:
        return None
    try:
        result = _jionlp().parse_time(cleaned, time_base=now.replace(tzinfo=None).timestamp())
    except (ValueError, TypeError, KeyError, IndexError, AttributeError) as exc:
        logger.debug("no time in %r: %s", text, exc)
        return None
    if not result or result.get("type") not in ("time_point", "time_span"):
        return None
    start = datetime.strptime(result["time"][0], "%Y-%m-%d %H:%M:%S").replace(tzinfo=SHANGHAI)
    end = datetime.strptime(result["time"][1], "%Y-%m-%d %H:%M:%S").replace(tzinfo=SHANGHAI)
    has_clock_time = end - start < timedelta(hours=2)
    return ParsedTime(start=_prefer_future(cleaned, start, now), has_clock_time=has_clock_time)


@functools.cache
def _jionlp() -> ModuleType:
    """jionlp, imported on first use (about a second), then cached.

    Its time parser logs a traceback on the root logger for every reading it tries
    and drops (每周三下午 is first tried as a span), and numpy.distutils, which Rasa imports,
    turns root-logger records into prints. Its messages go to a logger of their own, which
    says only what is critical."""
    import jionlp
    from jionlp.gadget import time_parser

    quiet = logging.getLogger("jionlp.time_parser")
    quiet.setLevel(logging.CRITICAL)
    time_parser.logging = quiet
    return jionlp


def time_spans(text: str) -> list[TimeSpan]:
    """Every time expression jionlp finds in ``text``, in order; none when it cannot read it."""
    try:
        found = _jionlp().ner.extract_time(text, with_parsing=True)
    except (ValueError, TypeError, KeyError, IndexError, AttributeError) as exc:
        logger.debug("no time spans in %r: %s", text, exc)
        return []
    return [
        TimeSpan(start=item["offset"][0], end=item["offset"][1], duration=item["detail"]["type"] == "time_delta")
        for item in found
    ]


def warm_up() -> None:
    """Load jionlp's dictionaries before the first resident waits for them."""
    parse_time("明天下午三点")
    time_spans("明天下午三点")
