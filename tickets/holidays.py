"""Which days are working days, from a table the staff can extend, one YAML file per year.

chinesecalendar only knows the years up to its release (1.11.0 ends with 2026); from then on
every deadline in working days would silently count Monday to Friday. So the State Council's
schedule (国务院办公厅 publishes next year's in November or December) is kept in
``tickets/holidays/<year>.yml``, checked when the calendar is loaded, and used before the
library. A year that neither knows is counted Monday to Friday, and the staff are warned
(:func:`coverage_warning`: on /healthz, in the console and in the log) while that year is
within :data:`WARN_AHEAD` of today.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import FrozenSet, List, Set
from zoneinfo import ZoneInfo

import chinese_calendar
import yaml
from pydantic import BaseModel, Field, ValidationError, root_validator, validator

logger = logging.getLogger(__name__)

HOLIDAYS_DIR = Path(__file__).resolve().parent / "holidays"
SHANGHAI = ZoneInfo("Asia/Shanghai")
WARN_AHEAD = timedelta(days=60)
LONGEST_BREAK_DAYS = 14  # the longest run of days off in any schedule so far is 9 (春节)


class Festival(BaseModel):
    """One festival of the schedule: the days off, and the weekend days worked instead (调休)."""

    name: str = Field(..., min_length=1, max_length=20)
    first: date = Field(..., alias="from")
    last: date = Field(..., alias="to")
    workdays: List[date] = Field(default_factory=list)

    @root_validator(skip_on_failure=True)
    def _sensible(cls, values: dict) -> dict:
        first, last = values["first"], values["last"]
        if last < first:
            raise ValueError(f"{values['name']}: to ({last}) is before from ({first})")
        if (last - first).days >= LONGEST_BREAK_DAYS:
            raise ValueError(f"{values['name']}: {(last - first).days + 1} days off in a row is not a holiday")
        for day in values["workdays"]:
            if day.weekday() < 5:
                raise ValueError(f"{values['name']}: workday {day} is a weekday already (调休 days are weekends)")
            if first <= day <= last:
                raise ValueError(f"{values['name']}: {day} is both a day off and a working day")
        return values

    def days_off(self) -> List[date]:
        return [self.first + timedelta(days=offset) for offset in range((self.last - self.first).days + 1)]


class YearSchedule(BaseModel):
    """One file: ``year`` and its festivals; every date within a month of that year."""

    year: int = Field(..., ge=2000, le=2100)
    holidays: List[Festival] = Field(..., min_items=1)

    @validator("holidays")
    def _within_the_year(cls, festivals: List[Festival], values: dict) -> List[Festival]:
        year = values.get("year")
        if year is None:
            return festivals
        earliest, latest = date(year - 1, 12, 1), date(year + 1, 1, 31)
        for festival in festivals:
            for day in (festival.first, festival.last, *festival.workdays):
                if not earliest <= day <= latest:
                    raise ValueError(f"{festival.name}: {day} is not in {year}")
        return festivals


class HolidayTableError(ValueError):
    """A holiday file that cannot be used: which file, and what is wrong."""


def load_schedule(path: Path) -> YearSchedule:
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
        schedule = YearSchedule.parse_obj(raw)
    except (OSError, yaml.YAMLError, ValidationError, TypeError) as exc:
        raise HolidayTableError(f"{path.name}: {exc}") from exc
    if path.stem != str(schedule.year):
        raise HolidayTableError(f"{path.name}: says year {schedule.year}; name the file {schedule.year}.yml")
    return schedule


def library_covers(year: int) -> bool:
    try:
        chinese_calendar.is_workday(date(year, 6, 1))
    except NotImplementedError:
        return False
    return True


@dataclass
class HolidayCalendar:
    """The working days of the years in the table, then of the library, then Monday to Friday."""

    years: FrozenSet[int] = frozenset()
    days_off: FrozenSet[date] = frozenset()
    workdays: FrozenSet[date] = frozenset()
    problems: List[str] = field(default_factory=list)
    _warned: Set[int] = field(default_factory=set)

    @classmethod
    def load(cls, folder: Path = HOLIDAYS_DIR) -> HolidayCalendar:
        """Every ``<year>.yml`` in ``folder``; a file with problems is left out and named in ``problems``."""
        years: Set[int] = set()
        days_off: Set[date] = set()
        workdays: Set[date] = set()
        problems: List[str] = []
        for path in sorted(folder.glob("*.yml")):
            try:
                schedule = load_schedule(path)
            except HolidayTableError as exc:
                logger.error("holiday table left out: %s", exc)
                problems.append(str(exc))
                continue
            years.add(schedule.year)
            for festival in schedule.holidays:
                days_off.update(festival.days_off())
                workdays.update(festival.workdays)
        return cls(frozenset(years), frozenset(days_off), frozenset(workdays), problems)

    def covers(self, year: int) -> bool:
        return year in self.years or library_covers(year)

    def is_workday(self, day: date) -> bool:
        """Mainland working day, with public holidays and make-up days (调休) where known."""
        if day in self.workdays:
            return True
        if day in self.days_off:
            return False
        if day.year in self.years:
            return day.weekday() < 5
        try:
            return bool(chinese_calendar.is_workday(day))
        except NotImplementedError:
            if day.year not in self._warned:
                self._warned.add(day.year)
                logger.warning("no holiday calendar for %s; counting Monday to Friday only", day.year)
            return day.weekday() < 5

    def missing_years(self, today: date, ahead: timedelta = WARN_AHEAD) -> List[int]:
        """Years from ``today`` to ``ahead`` later whose holidays nobody has entered."""
        return [year for year in range(today.year, (today + ahead).year + 1) if not self.covers(year)]

    def coverage_warning(self, today: date) -> str | None:
        """What the staff must do, in their words, or None when the coming weeks are covered."""
        notes = [f"节假日文件有错，未使用：{problem}" for problem in self.problems]
        for year in self.missing_years(today):
            notes.append(
                f"{year}年的节假日安排还没有录入，工单时限暂按周一至周五计算。"
                f"国务院办公厅公布后，请照 tickets/holidays/ 里已有文件的格式添加 tickets/holidays/{year}.yml。"
            )
        return "\n".join(notes) or None


def today_in_china() -> date:
    return datetime.now(SHANGHAI).date()


@lru_cache(maxsize=1)
def holiday_calendar() -> HolidayCalendar:
    """The calendar of this process, loaded and checked on first use (the services' start);
    a year still missing is said in the log then, as on /healthz and in the staff console."""
    calendar = HolidayCalendar.load()
    warning = calendar.coverage_warning(today_in_china())
    if warning:
        logger.warning("holiday calendar: %s", warning)
    return calendar


def staff_warning() -> str | None:
    """The warning of :meth:`HolidayCalendar.coverage_warning` for today, for /healthz and the console."""
    return holiday_calendar().coverage_warning(today_in_china())
