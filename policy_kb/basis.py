"""Where an answer comes from, in words a resident can check (依据).

Every catalogue entry records its ``source``: a section of the provincial plan (规划（九）1) or
``local``, a rule of the community itself; and whether its places, phones, hours and amounts are
the community's own facts (``local``) with the date staff last ``checked`` them. The plan is
《江苏省“十四五”城乡社区服务体系建设规划》(苏政办发〔2022〕60号); its section titles are kept here,
so a reply can name the section instead of a code.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Dict

from policy_kb.schema import ServiceEntry

PLAN_TITLE = "《江苏省“十四五”城乡社区服务体系建设规划》"
LOCAL_SOURCE = "local"
# A local entry staff added without its check date still says its facts are local, and that the date is missing.
NOT_RECORDED = "未记录"
_SOURCE = re.compile(r"^规划(（[一二三四五六七八九十]+）)(\d+)?$")

# The plan's numbered sections, as headed in the plan's text.
SECTIONS: Dict[str, str] = {
    "（一）": "发展基础",
    "（二）": "指导思想",
    "（三）": "基本原则",
    "（四）": "发展目标",
    "（五）": "健全党建引领机制",
    "（六）": "完善共建共治共享格局",
    "（七）": "推动自治、法治、德治融合发展",
    "（八）": "完善城乡社区服务场所设施",
    "（九）": "提升城乡社区服务综合能力",
    "（十）": "创新城乡社区服务供给方式",
    "（十一）": "加强群众性自治组织规范化建设",
    "（十二）": "培育发展社区社会组织",
    "（十三）": "健全基层社会工作服务体系",
    "（十四）": "提升社区志愿服务能力",
    "（十五）": "完善社区慈善服务供给机制",
    "（十六）": "推进基层治理智慧化",
    "（十七）": "促进社区服务智慧化",
    "（十八）": "探索群众自治智慧化",
    "（十九）": "合理确定社区岗位人员配备标准",
    "（二十）": "提升社区服务人才素质",
    "（二十一）": "增强社区工作者履职能力",
    "（二十二）": "健全激励机制",
    "（二十三）": "特殊困难群体关爱帮扶质量提升工程",
    "（二十四）": "社区应急体系强弱项工程",
    "（二十五）": "社区矛盾调处体系建设工程",
    "（二十六）": "社区医疗服务和心理健康服务质量提升工程",
    "（二十七）": "强化组织保障",
    "（二十八）": "强化法治支撑",
    "（二十九）": "强化政策保障",
    "（三十）": "强化责任落实",
}
# Numbered items inside a section, where the catalogue cites one.
ITEMS: Dict[str, str] = {
    "（九）1": "提升为民服务功能",
    "（九）2": "完善便民服务功能",
    "（九）3": "强化安民服务功能",
}


def plan_section(source: str) -> str | None:
    """``规划（九）1`` → ``（九）提升城乡社区服务综合能力 第1条 提升为民服务功能``; None for ``local``."""
    match = _SOURCE.match(source)
    if match is None:
        return None
    section, item = match.group(1), match.group(2)
    words = f"{section}{SECTIONS.get(section, '')}"
    if item:
        words += f" 第{item}条"
        title = ITEMS.get(f"{section}{item}")
        if title:
            words += f" {title}"
    return words


def checked_on(day: date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def basis_of(entry: ServiceEntry) -> Dict[str, str]:
    """The parts of the 依据 line: the plan's section (or empty for a local rule) and the check date."""
    section = plan_section(entry.source)
    return {
        "plan": f"{PLAN_TITLE}{section}" if section else "",
        "checked": checked_on(entry.checked) if entry.checked else NOT_RECORDED,
    }
