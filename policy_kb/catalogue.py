"""Loading and checking the YAML catalogue that community workers edit."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List

import yaml
from pydantic import ValidationError

from policy_kb.schema import CatalogueFile, ServiceEntry

logger = logging.getLogger(__name__)

CATALOGUE_DIR = Path(__file__).resolve().parent / "catalogue"


@dataclass(frozen=True)
class CatalogueProblem:
    """One thing wrong in one file, worded for the person who edits it."""

    file: str
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}: {self.field}: {self.message}"


@dataclass
class Catalogue:
    entries: List[ServiceEntry]
    problems: List[CatalogueProblem] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.by_id: Dict[str, ServiceEntry] = {entry.id: entry for entry in self.entries}
        self._by_name: Dict[str, ServiceEntry] = {}
        for entry in self.entries:
            for name in (entry.name, *entry.aliases):
                self._by_name.setdefault(_fold(name), entry)

    def resolve(self, name: str) -> ServiceEntry | None:
        """The entry a resident's word for a service means: its name or an alias, exactly."""
        return self._by_name.get(_fold(name))

    def bookable(self) -> List[ServiceEntry]:
        return [entry for entry in self.entries if entry.booking is not None]


def _fold(text: str) -> str:
    return "".join(text.split()).lower()


def _field_path(error: dict) -> str:
    return ".".join(str(part) for part in error["loc"])


def load_catalogue(folder: Path = CATALOGUE_DIR) -> Catalogue:
    """Every valid entry of every file; broken files are reported, never fatal."""
    entries: List[ServiceEntry] = []
    problems: List[CatalogueProblem] = []
    for path in sorted(folder.glob("*.yml")):
        try:
            raw = yaml.safe_load(path.read_text(encoding="utf-8"))
            parsed = CatalogueFile.parse_obj(raw)
        except yaml.YAMLError as exc:
            problems.append(CatalogueProblem(path.name, "(YAML)", str(exc).replace("\n", " ")))
            continue
        except ValidationError as exc:
            problems.extend(CatalogueProblem(path.name, _field_path(e), e["msg"]) for e in exc.errors())
            continue
        entries.extend(parsed.services)
    seen: Dict[str, str] = {}
    unique: List[ServiceEntry] = []
    for entry in entries:
        if entry.id in seen:
            problems.append(CatalogueProblem(entry.id, "id", "the same id is used twice"))
            continue
        seen[entry.id] = entry.name
        unique.append(entry)
    for entry in unique:
        for related in entry.related:
            if related not in seen:
                problems.append(CatalogueProblem(entry.id, "related", f"no entry with id {related}"))
    if not unique:
        problems.append(CatalogueProblem(folder.name, "services", "no valid entry at all"))
    for problem in problems:
        logger.error("catalogue problem: %s", problem)
    logger.info("catalogue loaded: %d entries, %d problems", len(unique), len(problems))
    return Catalogue(entries=unique, problems=problems)
