"""A resident correcting an earlier answer while another question is pending:
"不对，改成后天上午", "地址写错了 是5栋", "电话打错了，应该是13900001111"."""

from __future__ import annotations

import re
from dataclasses import dataclass

_CUES = re.compile(r"不对|错了|[写说打弄搞填记]错了?|改成|改为|改到|换成|换到|应该是|更正为?|重新改")
# Which earlier answer the resident names, said before the cue ("地址写错了").
FIELDS = {
    "time": ("时间", "日子", "日期", "几点", "钟点"),
    "address": ("地址", "住址", "门牌", "楼号"),
    "phone": ("电话", "号码", "手机"),
    "service": ("服务", "项目"),
}
_LEADING = " \t，,。.：:、！!是成为要"
_TRAILING = " \t，,。.！!？?吧啊呀哈哦了"


@dataclass(frozen=True)
class Correction:
    """What the resident corrects (when named) and the new value as written, with where it starts."""

    field: str | None
    value: str
    start: int


def find_correction(text: str) -> Correction | None:
    """The correction ``text`` makes, if it has a cue and a new value after it."""
    cues = list(_CUES.finditer(text or ""))
    if not cues:
        return None
    last = cues[-1]
    rest = text[last.end() :]
    value = rest.lstrip(_LEADING).rstrip(_TRAILING)
    if not value:
        return None
    before = text[: last.start()]
    field = next((name for name, words in FIELDS.items() if any(word in before for word in words)), None)
    return Correction(field=field, value=value, start=len(text) - len(rest.lstrip(_LEADING)))
