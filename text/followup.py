"""Whether a resident answering the follow-up (回访) after a resolved ticket says it is not fixed."""

from __future__ import annotations

import re

# Negated outcomes as residents write them; "没修好", "还是漏水", "又坏了", "根本没人来".
_NOT_FIXED = re.compile(
    r"(没|没有|还没|未)(修好|修|解决|处理|弄好|搞好|好|人来)"
    r"|还是(坏|不行|漏|吵|没|一样|老样子)|又(坏|漏|吵|堵)|问题还在|根本没"
)


def says_not_fixed(text: str) -> bool:
    return bool(_NOT_FIXED.search(text or ""))
