"""Messages typed in pinyin with the input method switched off ("zhao huo le", "wo ma yundao le").

Such a message has no Chinese characters, so the emergency patterns cannot read it, yet it is the
way a hurried or elderly resident may write. A text is taken as pinyin only when every word of it
splits into pinyin syllables, which random keys, code and English rarely do; the danger words in it
are then written back in characters (zhaohuo → 着火), so the patterns read the rest as usual.
"""

from __future__ import annotations

import re
from functools import lru_cache
from itertools import product
from typing import Dict, FrozenSet, Iterable, List

from policy_kb.homophones import char_sounds

_WORD = re.compile(r"[a-z]+")
_NOT_PINYIN = re.compile(r"[^a-z\s,.!?~'’]")
# Shortest spelling a danger word must have: two short syllables run together by chance in noise.
MIN_SPELLING = 5
_MAX_READINGS = 16  # polyphones multiply: enough for every reading of a two- to four-character word


@lru_cache(maxsize=1)
def syllables() -> FrozenSet[str]:
    """Every toneless pinyin syllable of a common character."""
    return frozenset(sound for sounds in char_sounds().values() for sound in sounds if sound.isalpha())


def _splits(word: str, known: FrozenSet[str]) -> bool:
    """Whether ``word`` is a run of pinyin syllables (ü typed as v)."""
    reachable = [True] + [False] * len(word)
    for end in range(1, len(word) + 1):
        reachable[end] = any(reachable[start] and word[start:end] in known for start in range(max(0, end - 6), end))
    return reachable[-1]


def is_pinyin(text: str) -> bool:
    """True for a text of pinyin words only (spaces and sentence punctuation allowed)."""
    lowered = text.lower().replace("v", "u")
    if _NOT_PINYIN.search(lowered):
        return False
    words = _WORD.findall(lowered)
    known = syllables()
    return bool(words) and all(_splits(word, known) for word in words)


class PinyinWords:
    """Danger words by their toneless spellings, to write them back into a pinyin text."""

    def __init__(self, words: Iterable[str]) -> None:
        sounds = char_sounds()
        spellings: Dict[str, str] = {}
        for word in sorted(set(words), key=len, reverse=True):
            if len(word) < 2 or any(char not in sounds for char in word):
                continue
            readings = list(product(*(sorted(sounds[char]) for char in word)))[:_MAX_READINGS]
            for reading in readings:
                spelling = "".join(reading)
                if len(spelling) >= MIN_SPELLING:
                    spellings.setdefault(spelling, word)
        # Longest first, so that "zhaohuole" is read as 着火了 before 着火.
        self._spellings: List[tuple[str, str]] = sorted(spellings.items(), key=lambda item: -len(item[0]))

    def characters(self, text: str) -> str:
        """``text`` with the spaces between syllables dropped and each danger word written in characters."""
        joined = "".join(_WORD.findall(text.lower().replace("v", "u")))
        for spelling, word in self._spellings:
            joined = joined.replace(spelling, word)
        return joined
