"""Every catalogue answer can say where it comes from: the plan's section, or the local rule and its date."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
import yaml

from policy_kb.basis import SECTIONS, basis_of, plan_section
from policy_kb.catalogue import load_catalogue
from policy_kb.schema import ServiceEntry

PLAN = Path("/work/shared/plan/jiangsu-community-services-plan-2022.txt")


def test_a_plan_item_is_named_by_its_section_and_item():
    assert plan_section("规划（九）1") == "（九）提升城乡社区服务综合能力 第1条 提升为民服务功能"
    assert plan_section("规划（二十四）") == "（二十四）社区应急体系强弱项工程"
    assert plan_section("local") is None


@pytest.mark.skipif(not PLAN.exists(), reason="the plan's text is kept outside the repository")
def test_the_section_titles_are_the_plans_own():
    text = PLAN.read_text(encoding="utf-8")
    for number, title in SECTIONS.items():
        assert f"({number[1:-1]}){title}" in text


@pytest.mark.parametrize("entry", load_catalogue().entries, ids=lambda entry: entry.id)
def test_every_entry_has_a_basis_a_resident_can_read(entry):
    basis = basis_of(entry)
    if entry.source != "local":
        assert basis["plan"].startswith("《江苏省“十四五”城乡社区服务体系建设规划》（")
        assert "规划（" not in basis["plan"]  # the section's name, not the catalogue's code
    if entry.local:  # every sample entry has been checked
        assert entry.checked is not None and basis["checked"].endswith("日")


def test_a_local_entry_without_its_check_date_says_the_date_is_missing():
    raw = yaml.safe_load(Path("policy_kb/catalogue/elderly.yml").read_text(encoding="utf-8"))["services"][0]
    assert ServiceEntry.parse_obj(raw).checked == date(2026, 12, 7)
    del raw["checked"]
    assert basis_of(ServiceEntry.parse_obj(raw))["checked"] == "未记录"
