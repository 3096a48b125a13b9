"""Who handles a ticket and by when (限时办结), from the editable table in routes.yml."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Dict, List, Tuple

import cn2an
import yaml

from tickets.holidays import SHANGHAI, holiday_calendar

ROUTES_FILE = Path(__file__).resolve().parent / "routes.yml"
END_OF_WORKING_DAY = time(17, 30)


@dataclass(frozen=True)
class Route:
    id: str
    name: str
    department: str
    hours: float | None = None
    working_days: int | None = None
    keywords: Tuple[str, ...] = field(default_factory=tuple)

    def deadline_from(self, start: datetime) -> datetime:
        """The moment this kind of ticket must be done by, counted from ``start``."""
        if self.hours is not None:
            return start + timedelta(hours=self.hours)
        return add_working_days(start, self.working_days or 1)


def is_workday(day: date) -> bool:
    """Mainland working day, with public holidays and make-up days (调休): see :mod:`tickets.holidays`."""
    return holiday_calendar().is_workday(day)


def add_working_days(start: datetime, days: int) -> datetime:
    """End of the ``days``-th working day after ``start`` (the day of filing does not count)."""
    local_day = start.astimezone(SHANGHAI).date()
    counted = 0
    while counted < days:
        local_day += timedelta(days=1)
        if is_workday(local_day):
            counted += 1
    return datetime.combine(local_day, END_OF_WORKING_DAY, tzinfo=SHANGHAI)


def _route(entry: dict) -> Route:
    deadline = entry.get("deadline") or {}
    return Route(
        id=entry["id"],
        name=entry["name"],
        department=entry["department"],
        hours=deadline.get("hours"),
        working_days=deadline.get("working_days"),
        keywords=tuple(entry.get("keywords") or ()),
    )


# 3栋2单元501, 12号楼, 5幢 (not "5楼", which is usually a floor).
_BUILDING = re.compile(r"(\d{1,3})\s*(?:栋|幢|号楼|座)")


def normalise_address(address: str) -> str:
    """Chinese numerals as digits (三号楼二单元 → 3号楼2单元), as voice input often writes them."""
    try:
        return cn2an.transform(address.strip(), "cn2an")
    except (ValueError, KeyError):  # cn2an gives up on some mixed strings; keep the text as written
        return address.strip()


def building_number(address: str | None) -> int | None:
    if not address:
        return None
    match = _BUILDING.search(normalise_address(address))
    return int(match.group(1)) if match else None


@dataclass(frozen=True)
class Grid:
    name: str
    first_building: int
    last_building: int
    places: Tuple[str, ...]


class Router:
    """Classifies complaints by keywords and gives every ticket kind its route."""

    def __init__(self, path: Path = ROUTES_FILE) -> None:
        holiday_calendar()  # the holiday tables are checked at start, not at the first deadline
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
        self.complaint_routes: List[Route] = [_route(entry) for entry in raw["complaint"]]
        self.kind_routes: Dict[str, Route] = {
            kind: _route(raw[kind]) for kind in ("suggestion", "emergency", "handoff", "legal")
        }
        self._by_id = {route.id: route for route in self.complaint_routes}
        self.grids: List[Grid] = [
            Grid(entry["name"], entry["buildings"][0], entry["buildings"][1], tuple(entry.get("places") or ()))
            for entry in raw.get("grids") or []
        ]

    def grid_for(self, address: str | None) -> str | None:
        """The grid (网格) an address lies in, by its building number or a named place."""
        number = building_number(address)
        for grid in self.grids:
            if number is not None and grid.first_building <= number <= grid.last_building:
                return grid.name
            if number is None and address and any(place in address for place in grid.places):
                return grid.name
        return None

    def classify_complaint(self, text: str) -> Route:
        """The category whose keywords cover most of the text; ``other`` when none match."""
        best, best_score = self._by_id["other"], 0
        for route in self.complaint_routes:
            score = sum(len(keyword) for keyword in route.keywords if keyword in text)
            if score > best_score:
                best, best_score = route, score
        return best

    def complaint_route(self, category: str) -> Route:
        return self._by_id.get(category, self._by_id["other"])

    def for_kind(self, kind: str) -> Route:
        return self.kind_routes[kind]


STAFF_START = time(8, 30)
STAFF_END = time(17, 30)


def staff_on_duty(moment: datetime) -> bool:
    """Whether the community service hall is staffed now (working days, 8:30-17:30)."""
    local = moment.astimezone(SHANGHAI)
    return is_workday(local.date()) and STAFF_START <= local.time() < STAFF_END
