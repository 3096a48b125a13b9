"""A second opinion on which entry a question is about: single characters and character pairs.

BM25 over jieba words misses what a resident writes in words the catalogue does not use (饭桌 for 餐桌,
伺候 next to 照顾, a typo inside a word) and is easily tipped by one everyday word that happens to be in
one entry only. Characters are robust to both: TF-IDF over each entry's characters and character pairs,
compared with the question by cosine similarity, agrees with BM25 on most questions and catches many it
misses. :class:`policy_kb.retrieval.BM25KnowledgeBase` ranks by the two together and trusts a best entry
that both put first. Built once; a question costs one small matrix product.
"""

from __future__ import annotations

import math
from collections import Counter
from typing import Dict, List, Sequence, Tuple

import numpy as np


def char_ngrams(text: str) -> Counter:
    """Characters and character pairs of each space-separated piece, pairs padded at the piece's edges."""
    grams: Counter = Counter()
    for piece in text.lower().split():
        grams.update(piece)
        padded = f" {piece} "
        grams.update(padded[i : i + 2] for i in range(len(padded) - 1))
    return grams


class CharNgramIndex:
    """Cosine similarity of a question to each document, with sublinear TF-IDF weights."""

    def __init__(self, documents: Sequence[str]) -> None:
        counts = [char_ngrams(document) for document in documents]
        frequency: Counter = Counter(gram for count in counts for gram in count)
        total = len(documents)
        self._columns: Dict[str, int] = {gram: index for index, gram in enumerate(frequency)}
        self._idf = np.array([math.log((1 + total) / (1 + seen)) + 1.0 for seen in frequency.values()])
        # One row per gram, one column per document; each document's vector of unit length.
        self._matrix = np.zeros((len(self._columns), total))
        for document, count in enumerate(counts):
            rows, weights = self._weights(count)
            self._matrix[rows, document] = weights

    def _weights(self, count: Counter) -> Tuple[List[int], np.ndarray]:
        rows = [self._columns[gram] for gram in count if gram in self._columns]
        tf = np.array([1.0 + math.log(count[gram]) for gram in count if gram in self._columns])
        weights = tf * self._idf[rows] if rows else tf
        norm = float(np.sqrt(np.sum(weights * weights)))
        return rows, (weights / norm if norm else weights)

    def similarities(self, text: str) -> np.ndarray:
        """One cosine similarity per document, in the order the documents were given."""
        rows, weights = self._weights(char_ngrams(text))
        if not rows:
            return np.zeros(self._matrix.shape[1])
        return weights @ self._matrix[rows]
