"""A 1-5 satisfaction rating from what a resident wrote (五星好评, 打3分, 很不满意)."""

from __future__ import annotations

import re

_NUMERALS = {"一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5}
_SCORE = re.compile(r"([1-5１-５一二两三四五])\s*(颗星|星|分)")
_BARE_DIGIT = re.compile(r"^\s*([1-5])\s*$")
# Checked in order: negated and stronger phrases before the plain ones they contain.
_WORDS = (
    ("非常不满意", 1),
    ("很不满意", 1),
    ("差评", 1),
    ("太差", 1),
    ("很差", 1),
    ("不满意", 2),
    ("一般般", 3),
    ("一般", 3),
    ("还行", 3),
    ("凑合", 3),
    ("非常满意", 5),
    ("很满意", 5),
    ("好评", 5),
    ("太好了", 5),
    ("满意", 4),
    ("不错", 4),
    ("挺好", 4),
)


def extract_rating(text: str) -> int | None:
    match = _SCORE.search(text) or _BARE_DIGIT.match(text)
    if match:
        value = match.group(1)
        if value in _NUMERALS:
            return _NUMERALS[value]
        return int(value.translate(str.maketrans("１２３４５", "12345")))
    for phrase, rating in _WORDS:
        if phrase in text:
            return rating
    return None
