"""Where a legal question should go first: legal aid, mediation, notary or a consultation."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import List, Tuple

import yaml

from policy_kb.catalogue import Catalogue
from policy_kb.schema import ServiceEntry

TOPICS_FILE = Path(__file__).resolve().parent / "legal_topics.yml"
CONSULTATION_ID = "legal-consultation"
DEFAULT_ROUTES = ("legal-consultation", "legal-aid", "people-mediation", "notary")


@dataclass(frozen=True)
class LegalTopic:
    name: str
    keywords: Tuple[str, ...]
    routes: Tuple[str, ...]
    tip: str


GENERAL_TOPIC = LegalTopic(
    name="法律问题",
    keywords=(),
    routes=DEFAULT_ROUTES,
    tip="把合同、票据、聊天记录这些材料先留好，咨询时带上。",
)


class LegalGuide:
    def __init__(self, catalogue: Catalogue, path: Path = TOPICS_FILE) -> None:
        self.catalogue = catalogue
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
        self.topics: List[LegalTopic] = [
            LegalTopic(item["name"], tuple(item["keywords"]), tuple(item["routes"]), item["tip"]) for item in raw
        ]

    def topic_for(self, entity: str | None, text: str) -> LegalTopic:
        """The topic the NLU named, else the first whose words occur in the question."""
        for probe in (entity, text):
            if not probe:
                continue
            for topic in self.topics:
                if probe == topic.name or any(keyword in probe for keyword in topic.keywords):
                    return topic
        return GENERAL_TOPIC

    def routes(self, topic: LegalTopic, text: str = "") -> List[ServiceEntry]:
        """The topic's ways to help in order, except that one the question names (办公证, 想找人调解) comes first."""
        routes = [self.catalogue.by_id[i] for i in topic.routes if i in self.catalogue.by_id]
        lowered = text.lower()
        named = next(
            (entry for entry in routes if any(word.lower() in lowered for word in (entry.name, *entry.aliases))), None
        )
        if named is not None:
            routes.remove(named)
            routes.insert(0, named)
        return routes

    def consultation(self) -> ServiceEntry | None:
        return self.catalogue.by_id.get(CONSULTATION_ID)
