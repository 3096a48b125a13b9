"""Finding the catalogue entries a resident's question is about.

:class:`KnowledgeBase` is what actions depend on; :class:`BM25KnowledgeBase`
implements it with jieba tokens (the project's user dictionary) and Okapi BM25.
Everything is built once, at construction, never per question.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import List, Protocol, Sequence

import jieba
from rank_bm25 import BM25Okapi

from policy_kb.catalogue import Catalogue, load_catalogue
from policy_kb.schema import ServiceEntry

logger = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parent.parent
USER_DICTIONARY_DIR = ROOT / "data" / "dict"
STOPWORDS_FILE = Path(__file__).resolve().parent / "stopwords.txt"

# How much more a field counts than the entry's body text.
NAME_WEIGHT = 4
ALIAS_WEIGHT = 3
# The recognised service entity outranks any lexical evidence.
ENTITY_SCORE = 1000.0


@dataclass(frozen=True)
class Hit:
    entry: ServiceEntry
    score: float


@dataclass(frozen=True)
class Answer:
    """Ranked candidates and whether the best one is sure enough to answer with."""

    hits: List[Hit]
    confident: bool

    @property
    def best(self) -> ServiceEntry | None:
        return self.hits[0].entry if self.hits else None


class KnowledgeBase(Protocol):
    catalogue: Catalogue

    def search(self, question: str, service: str | None = None, limit: int = 3) -> Answer:
        """Entries that answer ``question``; ``service`` is the NLU's service entity, if any."""


def _load_stopwords() -> frozenset:
    lines = STOPWORDS_FILE.read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip() for line in lines if line.strip() and not line.startswith("#"))


class BM25KnowledgeBase:
    """BM25 over names, aliases and text, with the entity as a strong signal."""

    def __init__(
        self,
        catalogue: Catalogue | None = None,
        dictionary_dir: Path = USER_DICTIONARY_DIR,
        min_score: float = 3.0,
        min_margin: float = 1.25,
    ) -> None:
        self.catalogue = catalogue or load_catalogue()
        self.min_score = min_score
        self.min_margin = min_margin
        self._tokenizer = jieba.Tokenizer()
        for path in sorted(dictionary_dir.glob("*.txt")):
            self._tokenizer.load_userdict(str(path))
        for entry in self.catalogue.entries:
            for word in (entry.name, *entry.aliases):
                self._tokenizer.add_word(word, freq=2000)
        self._stopwords = _load_stopwords()
        self._entries: Sequence[ServiceEntry] = self.catalogue.entries
        self._bm25 = BM25Okapi([self._document(entry) for entry in self._entries]) if self._entries else None

    def tokens(self, text: str) -> List[str]:
        words = self._tokenizer.lcut_for_search(text.lower())
        return [word for word in words if word.strip() and word not in self._stopwords]

    def _document(self, entry: ServiceEntry) -> List[str]:
        tokens = self.tokens(entry.name) * NAME_WEIGHT
        for alias in entry.aliases:
            tokens += self.tokens(alias) * ALIAS_WEIGHT
        body = " ".join([entry.category, entry.summary, entry.eligibility, *entry.materials, *entry.steps])
        return tokens + self.tokens(body)

    def search(self, question: str, service: str | None = None, limit: int = 3) -> Answer:
        if self._bm25 is None:
            return Answer(hits=[], confident=False)
        scores = list(self._bm25.get_scores(self.tokens(question)))
        named = self.catalogue.resolve(service) if service else None
        if named is not None:
            scores[self._entries.index(named)] += ENTITY_SCORE
        ranked = sorted(range(len(scores)), key=lambda i: scores[i], reverse=True)[:limit]
        hits = [Hit(self._entries[i], float(scores[i])) for i in ranked if scores[i] > 0]
        return Answer(hits=hits, confident=self._is_confident(hits))

    def _is_confident(self, hits: List[Hit]) -> bool:
        if not hits or hits[0].score < self.min_score:
            return False
        return len(hits) == 1 or hits[0].score >= hits[1].score * self.min_margin
