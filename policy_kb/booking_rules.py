"""When a service can be booked: its weekly opening hours decide."""

from __future__ import annotations

from datetime import datetime, timedelta

from policy_kb.schema import ServiceEntry

# A vague part of day (上午, 下午) covers this long from its start.
PART_OF_DAY = timedelta(hours=5)


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
