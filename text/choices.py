"""Which numbered option a resident's reply picks: "2", "２", "二", "第2个", "2." all pick the second."""

from __future__ import annotations

import re

_CHINESE_DIGITS = {"一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9, "十": 10}
_FULL_WIDTH = str.maketrans("０１２３４５６７８９", "0123456789")
_CHOICE = re.compile(
    r"^\s*(?:选|要)?\s*(?:第)?([0-9０-９]{1,2}|[一二两三四五六七八九十])\s*(?:个|项|号)?\s*[.。、．!！]?\s*$"
)


def chosen_number(text: str) -> int | None:
    """The number a reply of just a number names (1-based), or None for anything else."""
    match = _CHOICE.match(text or "")
    if not match:
        return None
    token = match.group(1)
    return _CHINESE_DIGITS.get(token) or int(token.translate(_FULL_WIDTH))
