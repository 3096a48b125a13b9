"""Finding the catalogue entries a resident's question is about.

:class:`KnowledgeBase` is what actions depend on; :class:`BM25KnowledgeBase`
implements it with jieba tokens (the project's user dictionary) and Okapi BM25, the
question expanded with the NLU's synonyms and with catalogue words it writes with
sound-alike characters (:mod:`policy_kb.homophones`), and a second opinion from characters
(:mod:`policy_kb.char_ngrams`): entries are ranked by both, and a best entry is trusted when it is
well ahead of the next or when both opinions put it first. On questions told as a situation, in words
the catalogue does not use, the best entry was right and trusted for 0.62 of them with BM25 alone and
0.77 with both (tests/dev/service_situations.yml, before the catalogue's needs were widened).
Everything is built once, at construction, never per question: BM25's contribution of every
indexed term to every entry is computed up front, so a question costs its tokenisation and one
vector sum per token (well under a millisecond, even for a long rambling message).
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Protocol, Sequence, Tuple

import jieba
import numpy as np
import yaml
from rank_bm25 import BM25Okapi

from policy_kb.catalogue import Catalogue, load_catalogue
from policy_kb.char_ngrams import CharNgramIndex
from policy_kb.homophones import HomophoneIndex
from policy_kb.schema import ServiceEntry

logger = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parent.parent
USER_DICTIONARY_DIR = ROOT / "data" / "dict"
STOPWORDS_FILE = Path(__file__).resolve().parent / "stopwords.txt"
# The NLU's synonyms (typos, colloquial and traditional spellings → the catalogue's word); read, never written.
SYNONYMS_FILE = ROOT / "data" / "nlu" / "synonyms.yml"

# How much more a field counts than the entry's body text.
NAME_WEIGHT = 4
ALIAS_WEIGHT = 3
NEED_WEIGHT = 2
# Dialect and spoken words → the words the catalogue is written in (咋、啥、俺 are stopwords already).
DIALECT = {
    "娃娃": "孩子",
    "娃": "孩子",
    "伢": "孩子",
    "崽": "孩子",
    "细佬": "孩子",
    "俺娘": "老人",
    "俺爹": "老人",
    "老娘": "老人",
    "老爹": "老人",
    "老汉": "老人",
    "老头": "老人",
    "老太": "老人",
    "老两口": "老人",
    "莫得": "没有",
    "冇": "没有",
    "晓得": "知道",
    "弄": "办",
}
_DIALECT = re.compile("|".join(sorted(map(re.escape, DIALECT), key=len, reverse=True)))
# The recognised service entity outranks any lexical evidence.
ENTITY_SCORE = 1000.0
# How much the characters' opinion counts next to BM25's, each scaled to its best entry.
CHAR_WEIGHT = 1.0
# A best entry both opinions put first needs a smaller lead (but one: a bare "补贴" is several allowances).
AGREED_MARGIN = 1.1
# A token with no letter, digit or character (，？ …) says nothing about the service.
_MEANINGFUL = re.compile(r"\w")


@dataclass(frozen=True)
class Hit:
    """A candidate entry: ``score`` is BM25's evidence for it (the entity adds ENTITY_SCORE), ``similarity``
    the characters' cosine similarity; hits are ranked by both together."""

    entry: ServiceEntry
    score: float
    similarity: float = 0.0


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


def load_synonyms(path: Path = SYNONYMS_FILE) -> Dict[str, str]:
    """Each way of writing a word (``家正``, ``医保``) → the word the catalogue uses (``家政服务``)."""
    if not path.exists():
        return {}
    synonyms: Dict[str, str] = {}
    for item in yaml.safe_load(path.read_text(encoding="utf-8")).get("nlu") or []:
        if "synonym" not in item:
            continue
        for line in str(item.get("examples") or "").splitlines():
            variant = line.strip().lstrip("-").strip().lower()
            if variant and variant != item["synonym"]:
                synonyms[variant] = item["synonym"]
    return synonyms


class BM25KnowledgeBase:
    """BM25 over names, aliases and text, with synonym and sound-alike expansion and the entity as a strong signal."""

    def __init__(
        self,
        catalogue: Catalogue | None = None,
        dictionary_dir: Path = USER_DICTIONARY_DIR,
        synonyms_file: Path = SYNONYMS_FILE,
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
        self._synonyms = load_synonyms(synonyms_file)
        self._entries: Sequence[ServiceEntry] = self.catalogue.entries
        self._term_scores = self._index()
        self._characters = CharNgramIndex([" ".join(_weighted_words(entry)) for entry in self._entries])
        self._token_synonyms, self._phrase_synonyms = self._split_synonyms()
        self._homophones = HomophoneIndex(
            ((entry.id, word.lower()) for entry in self._entries for word in (entry.name, *entry.aliases)),
            is_word=lambda text: bool(self._tokenizer.FREQ.get(text)),
        )

    def tokens(self, text: str) -> List[str]:
        words = self._tokenizer.lcut_for_search(text.lower())
        return [word for word in words if _MEANINGFUL.search(word) and word not in self._stopwords]

    def _document(self, entry: ServiceEntry) -> List[str]:
        tokens = self.tokens(entry.name) * NAME_WEIGHT
        for alias in entry.aliases:
            tokens += self.tokens(alias) * ALIAS_WEIGHT
        for need in entry.needs:
            tokens += self.tokens(need) * NEED_WEIGHT
        body = " ".join([entry.category, entry.summary, entry.eligibility, *entry.materials, *entry.steps])
        return tokens + self.tokens(body)

    def _index(self) -> Dict[str, np.ndarray]:
        """Every term's BM25 contribution to every entry (rank-bm25's Okapi formula, computed once)."""
        if not self._entries:
            return {}
        bm25 = BM25Okapi([self._document(entry) for entry in self._entries])
        return {term: bm25.get_scores([term]) for term in bm25.idf}

    def _split_synonyms(self) -> Tuple[Dict[str, List[str]], List[Tuple[str, List[str]]]]:
        """A variant that is one token is looked up among the question's tokens (so ``理法`` never fires
        inside ``处理法律``); a longer one is looked for in the text, where it is specific enough."""
        by_token: Dict[str, List[str]] = {}
        by_phrase: List[Tuple[str, List[str]]] = []
        for variant, word in self._synonyms.items():
            # The name as one term, so a synonym adds the evidence of that name, not of its parts
            # (居民, 服务) that many entries share.
            expansion = self._terms_of(word.lower())
            if len(self.tokens(variant)) == 1:
                by_token[variant] = expansion
            else:
                by_phrase.append((variant, expansion))
        return by_token, by_phrase

    def _terms_of(self, word: str) -> List[str]:
        """A catalogue word as one term where it is indexed (names and aliases are), else its tokens."""
        return [word] if word in self._term_scores else self.tokens(word)

    def _expand(self, text: str, tokens: List[str]) -> List[str]:
        """The catalogue's words for the variants and sound-alike typos the question uses."""
        expansion: List[str] = []
        for token in tokens:
            expansion += self._token_synonyms.get(token, [])
        for variant, words in self._phrase_synonyms:
            if variant in text:
                expansion += words
        for _, word in self._homophones.find(text):
            expansion += self._terms_of(word)
        return expansion

    def _resolve(self, service: str) -> ServiceEntry | None:
        return self.catalogue.resolve(service) or self.catalogue.resolve(self._synonyms.get(service.lower(), ""))

    def search(self, question: str, service: str | None = None, limit: int = 3) -> Answer:
        if not self._entries:
            return Answer(hits=[], confident=False)
        text = question.lower()
        tokens = self.tokens(text)
        spoken = _DIALECT.sub(lambda match: DIALECT[match.group(0)], text)
        if spoken != text:
            tokens += [token for token in self.tokens(spoken) if token not in tokens]
        scores = np.zeros(len(self._entries))
        for token in tokens + self._expand(text, tokens):
            contribution = self._term_scores.get(token)
            if contribution is not None:
                scores += contribution
        similarities = self._characters.similarities(text)
        ranking = _scaled(scores) + CHAR_WEIGHT * _scaled(similarities)
        named = self._resolve(service) if service else None
        if named is not None:
            scores[self._entries.index(named)] += ENTITY_SCORE
            ranking[self._entries.index(named)] += ENTITY_SCORE
        # Only entries with some word of the question are candidates: characters alone (社区, 老人) are no answer.
        candidates = [i for i in np.argsort(-ranking, kind="stable") if scores[i] > 0]
        hits = [Hit(self._entries[i], float(scores[i]), float(similarities[i])) for i in candidates[:limit]]
        agree = bool(candidates) and candidates[0] == int(np.argmax(scores)) == int(np.argmax(similarities))
        return Answer(hits=hits, confident=self._is_confident(hits, [ranking[i] for i in candidates[:2]], agree))

    def _is_confident(self, hits: List[Hit], ranking: List[float], agree: bool) -> bool:
        """Sure enough evidence, and the best entry well ahead of the next, or ahead and first in both opinions."""
        if not hits or hits[0].score < self.min_score:
            return False
        if len(hits) == 1 or ranking[0] >= ranking[1] * self.min_margin:
            return True
        return agree and ranking[0] >= ranking[1] * AGREED_MARGIN


def _scaled(values: np.ndarray) -> np.ndarray:
    """Scores divided by the best one, so two kinds of evidence can be added."""
    best = float(values.max()) if len(values) else 0.0
    return values / best if best > 0 else values


def _weighted_words(entry: ServiceEntry) -> List[str]:
    """The entry's words for the characters' opinion: its name, aliases and needs counted as in BM25."""
    named = [entry.name] * NAME_WEIGHT + list(entry.aliases) * ALIAS_WEIGHT
    return named + list(entry.needs) * NEED_WEIGHT + [entry.summary, entry.eligibility]
