"""When a service can be booked (its weekly opening hours decide), the times to offer instead
of one that cannot be booked, and which bookable service a resident's description means."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import List, Tuple

from policy_kb.retrieval import KnowledgeBase
from policy_kb.schema import ServiceEntry

# A vague part of day (上午, 下午) covers this long from its start.
PART_OF_DAY = timedelta(hours=5)
# Times offered to a resident start at least this far ahead: staff need notice.
NOTICE = timedelta(hours=1)
# How far ahead openings are looked for.
HORIZON = timedelta(days=21)
# What residents say when any time will do, the sooner the better.
EARLIEST_WORDS = (
    "最近的",
    "越早越好",
    "越快越好",
    "尽早",
    "尽快",
    "最早",
    "都行",
    "都可以",
    "什么时候都行",
    "哪天都行",
    "随时",
)
# A description that mentions the home means a service at home ("来家里帮忙…").
HOME_WORDS = ("来家", "到家", "上门", "家里")
# A description names a bookable service when its best match scores this much and this far ahead.
SURE_SCORE = 6.0
SURE_MARGIN = 1.25
# Weaker matches are still offered as choices from this score on.
CANDIDATE_SCORE = 3.0


def is_open_at(entry: ServiceEntry, when: datetime) -> bool:
    """True when ``when`` (local time) falls inside one of the service's opening windows."""
    if entry.booking is None:
        return False
    clock = when.timetz().replace(tzinfo=None)
    return any(
        when.isoweekday() in window.days and window.start <= clock < window.end for window in entry.booking.hours
    )


def first_opening_after(entry: ServiceEntry, start: datetime, within: timedelta = PART_OF_DAY) -> datetime | None:
    """The first opening moment from ``start`` on, if it comes within ``within``."""
    if entry.booking is None:
        return None
    candidates = []
    for window in entry.booking.hours:
        if start.isoweekday() not in window.days:
            continue
        opening = start.replace(hour=window.start.hour, minute=window.start.minute, second=0, microsecond=0)
        closing = start.replace(hour=window.end.hour, minute=window.end.minute, second=0, microsecond=0)
        if opening <= start < closing:
            candidates.append(start)
        elif start < opening <= start + within:
            candidates.append(opening)
    return min(candidates) if candidates else None


def describe_hours(entry: ServiceEntry) -> str:
    """Opening hours in words residents read easily: 周一至周五 08:30-11:30、14:00-17:30."""
    if entry.booking is None:
        return entry.hours
    names = "一二三四五六日"
    parts = []
    for window in entry.booking.hours:
        days = sorted(window.days)
        if days == list(range(days[0], days[-1] + 1)) and len(days) > 2:
            label = "每天" if len(days) == 7 else f"周{names[days[0] - 1]}至周{names[days[-1] - 1]}"
        else:
            label = "、".join(f"周{names[d - 1]}" for d in days)
        parts.append(f"{label} {window.start:%H:%M}-{window.end:%H:%M}")
    return "；".join(parts)


def next_openings(entry: ServiceEntry, after: datetime, count: int = 3) -> List[datetime]:
    """The first free slot of each of the next ``count`` opening windows, from ``after`` on.

    One slot a window, so a resident who cannot come in the morning sees the afternoon too.
    """
    if entry.booking is None:
        return []
    step = timedelta(minutes=entry.booking.slot_minutes)
    found: List[datetime] = []
    midnight = after.replace(hour=0, minute=0, second=0, microsecond=0)
    for offset in range(HORIZON.days + 1):
        day = midnight + timedelta(days=offset)
        windows = sorted((w for w in entry.booking.hours if day.isoweekday() in w.days), key=lambda w: w.start)
        for window in windows:
            slot = day.replace(hour=window.start.hour, minute=window.start.minute)
            closing = day.replace(hour=window.end.hour, minute=window.end.minute)
            while slot < after:
                slot += step
            if slot < closing:
                found.append(slot)
                if len(found) == count:
                    return found
    return found


def earliest_opening(entry: ServiceEntry, now: datetime) -> datetime | None:
    """The soonest slot a resident can still be given."""
    openings = next_openings(entry, now + NOTICE, count=1)
    return openings[0] if openings else None


def wants_earliest(text: str) -> bool:
    """True for "最近的", "越早越好", "都行": any time will do, the sooner the better."""
    return any(word in text for word in EARLIEST_WORDS)


def match_bookable(
    knowledge_base: KnowledgeBase, description: str, limit: int = 3
) -> Tuple[ServiceEntry | None, List[ServiceEntry]]:
    """The bookable service a description means when sure, else the ones it may mean (best first).

    A description of help at home that matches nothing surely ("来家里帮忙") may mean any
    service at home, so all of them are the choices.
    """
    hits = [hit for hit in knowledge_base.search(description, limit=1000).hits if hit.entry.booking is not None]
    at_home = any(word in description for word in HOME_WORDS)
    if at_home:
        hits = [hit for hit in hits if hit.entry.booking and hit.entry.booking.at_home] or hits
    if hits and hits[0].score >= SURE_SCORE and (len(hits) == 1 or hits[0].score >= hits[1].score * SURE_MARGIN):
        return hits[0].entry, []
    if at_home:
        ranked = [hit.entry for hit in hits]
        others = [e for e in knowledge_base.catalogue.entries if e.booking and e.booking.at_home and e not in ranked]
        return None, ranked + others
    return None, [hit.entry for hit in hits[:limit] if hit.score >= CANDIDATE_SCORE]
