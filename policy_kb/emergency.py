"""Which kind of emergency a message describes, so the first reply names the right hotline."""

from __future__ import annotations

from pathlib import Path
from typing import List, Tuple

import yaml

EMERGENCIES_FILE = Path(__file__).resolve().parent / "emergencies.yml"
GENERAL = "general"


class EmergencyClassifier:
    """Ordered keyword rules from emergencies.yml; ``general`` when none match."""

    def __init__(self, path: Path = EMERGENCIES_FILE) -> None:
        rules = yaml.safe_load(path.read_text(encoding="utf-8"))
        self._rules: List[Tuple[str, Tuple[str, ...]]] = [(rule["id"], tuple(rule["keywords"])) for rule in rules]

    def classify(self, text: str) -> str:
        for kind, keywords in self._rules:
            if any(keyword in text for keyword in keywords):
                return kind
        return GENERAL

    @property
    def kinds(self) -> List[str]:
        return [kind for kind, _ in self._rules] + [GENERAL]
