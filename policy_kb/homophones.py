"""Catalogue words written with the wrong characters of the right sound, as pinyin input produces them.

Residents type with pinyin input methods (or dictate), so most typos are another character of the
same sound: 低包 for 低保, 拖班 for 托班. A catalogue word is found in a question when each of its
characters sounds like the question's (tones ignored, every reading of a polyphone counts). A
two-character match is only taken where the question's characters are not a word of their own,
because a real word (公正) is what the resident meant, not a typo (of 公证).
"""

from __future__ import annotations

import unicodedata
from collections import defaultdict
from functools import lru_cache
from typing import Callable, Dict, FrozenSet, Iterable, List, Tuple

Sounds = FrozenSet[str]
NO_SOUND: Sounds = frozenset()
# Common characters jionlp's dictionary has no reading for (煤气 is written 煤汽, 没气 …).
MISSING_READINGS: Dict[str, Sounds] = {"煤": frozenset({"mei"})}


def _toneless(pinyin: str) -> str:
    return "".join(ch for ch in unicodedata.normalize("NFD", pinyin) if not unicodedata.combining(ch))


@lru_cache(maxsize=1)
def char_sounds() -> Dict[str, Sounds]:
    """Every Chinese character's readings without tones (jionlp's character dictionary, loaded once)."""
    from jionlp.dictionary.dictionary_loader import pinyin_char_loader  # heavy: only when an index is built

    sounds = {char: frozenset(_toneless(p) for p in readings) for char, readings in pinyin_char_loader().items()}
    return {**MISSING_READINGS, **sounds}


class HomophoneIndex:
    """Finds sound-alike spellings of known words; looked up by the sounds of their first two characters."""

    def __init__(self, words: Iterable[Tuple[str, str]], is_word: Callable[[str], bool]) -> None:
        """``words`` are (key, word) pairs, e.g. an entry id and one of its names; ``is_word`` tells real words."""
        self._sounds = char_sounds()
        self._is_word = is_word
        self._by_start: Dict[Tuple[str, str], List[Tuple[str, str, List[Sounds]]]] = defaultdict(list)
        for key, word in words:
            if len(word) < 2 or any(char not in self._sounds for char in word):
                continue
            sounds = [self._sounds[char] for char in word]
            for first in sounds[0]:
                for second in sounds[1]:
                    self._by_start[(first, second)].append((key, word, sounds))

    def find(self, text: str) -> List[Tuple[str, str]]:
        """(key, word) for every key whose word ``text`` writes with other characters of the same sound."""
        found: Dict[str, str] = {}
        for _, _, key, word in self.spans(text):
            found.setdefault(key, word)
        return list(found.items())

    def spans(self, text: str) -> List[Tuple[int, int, str, str]]:
        """(start, end, key, word) for each place ``text`` writes a known word with sound-alike characters."""
        sounds = [self._sounds.get(char, NO_SOUND) for char in text]
        found: List[Tuple[int, int, str, str]] = []
        seen: set = set()
        for start in range(len(text) - 1):
            for first in sounds[start]:
                for second in sounds[start + 1]:
                    for key, word, word_sounds in self._by_start.get((first, second), ()):
                        end = start + len(word)
                        if (start, key) in seen or end > len(text):
                            continue
                        written = text[start:end]
                        if written == word or (len(word) == 2 and self._is_word(written)):
                            continue
                        if all(heard & meant for heard, meant in zip(sounds[start:end], word_sounds, strict=True)):
                            seen.add((start, key))
                            found.append((start, end, key, word))
        return found
