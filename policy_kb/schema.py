"""The shape of one catalogue entry, checked when the catalogue loads.

Community workers edit the YAML files by hand; this schema turns a typo into a
clear error that names the file and the field instead of a wrong answer.
"""

from __future__ import annotations

import re
from datetime import date, time
from enum import Enum
from typing import List

from pydantic import BaseModel, Field, validator

SOURCE_PATTERN = re.compile(r"^(local|规划（[一二三四五六七八九十]+）(\d+)?)$")


class Mode(str, Enum):
    """How a resident can get the service (the plan's 预约/上门/代办/自助)."""

    booking = "预约办理"
    door_to_door = "上门办理"
    proxy = "委托代办"
    self_service = "自助办理"
    online = "网上办理"


class OpeningHours(BaseModel):
    """One weekly opening window; several windows make a day with a lunch break."""

    days: List[int] = Field(..., description="ISO weekdays, 1 = Monday … 7 = Sunday")
    start: time
    end: time

    @validator("days", each_item=True)
    def _weekday(cls, day: int) -> int:
        if not 1 <= day <= 7:
            raise ValueError("weekday must be 1 (Monday) to 7 (Sunday)")
        return day

    @validator("end")
    def _after_start(cls, end: time, values: dict) -> time:
        start = values.get("start")
        if start is not None and end <= start:
            raise ValueError("end must be after start")
        return end


class Booking(BaseModel):
    """Present only for services a resident can book through the assistant."""

    at_home: bool = Field(False, description="staff come to the resident, so an address is needed")
    slot_minutes: int = Field(60, gt=0)
    hours: List[OpeningHours] = Field(..., min_items=1)


class ServiceEntry(BaseModel):
    """One service of the catalogue, as a resident needs to know it (一次告知)."""

    id: str = Field(..., regex=r"^[a-z][a-z0-9_-]*$")
    name: str = Field(..., min_length=2)
    aliases: List[str] = Field(default_factory=list)
    needs: List[str] = Field(
        default_factory=list,
        description="how residents say the need without naming the service (老人不会做饭); searched, never shown",
    )
    category: str
    summary: str = Field(..., description="what it provides, one or two plain sentences")
    eligibility: str
    steps: List[str] = Field(default_factory=list)
    materials: List[str] = Field(default_factory=list)
    where: str
    hours: str
    phone: str
    fees: str
    time_limit: str
    modes: List[Mode] = Field(default_factory=list)
    related: List[str] = Field(default_factory=list)
    source: str
    local: bool = Field(
        True,
        description="True when places, phones, hours or amounts are the sample community's own facts",
    )
    checked: date | None = Field(
        None, description="when staff last checked the local facts (places, phones, hours, amounts); shown in answers"
    )
    booking: Booking | None = None

    @validator("source")
    def _known_source(cls, source: str) -> str:
        if not SOURCE_PATTERN.match(source):
            raise ValueError("source must be 'local' or a plan section such as 规划（九）2")
        return source

    @validator("aliases", "needs", each_item=True)
    def _non_empty_alias(cls, alias: str) -> str:
        if not alias.strip():
            raise ValueError("an alias or need may not be empty")
        return alias.strip()


class CatalogueFile(BaseModel):
    """One YAML file: a topic and its services."""

    topic: str
    services: List[ServiceEntry] = Field(..., min_items=1)
