"""Questions about a service are told from requests to do something by their words."""

from __future__ import annotations

import pytest

from policy_kb.cues import read_cues


@pytest.mark.parametrize(
    "text",
    [
        "社区能不能帮老人送饭到家",
        "俺娘八十多了 社区管不管做饭",
        "咋报名老年大学",
        "社区医院在哪儿",
        "家庭医生要啥条件才能签",
        "医生能上门给老人看病不 老人走不动",  # voice input: the particle ends a phrase, not the message
        "网格员是谁 管我们楼的事吗",
        "请问可以预约理发吗",
        "附近哪有菜市场",
    ],
)
def test_questions_about_a_service_are_questions(text):
    assert read_cues(text).is_question


@pytest.mark.parametrize(
    "text",
    [
        "我要约明天中午的助餐",
        "帮我预约周六上门理发",
        "能不能帮我约个上门理发",  # asks, but says what to do: a request
        "3号楼电梯坏了 报修",
        "我要投诉楼上装修太吵",
        "社区能不能装个充电桩",  # a suggestion asks for something new to be built
        "我上周的投诉处理得怎么样了",
        "查一下GD20261129-0007",
        "能不能转人工",
    ],
)
def test_requests_are_not_questions(text):
    assert not read_cues(text).is_question


def test_a_statement_without_a_question_is_no_question():
    assert not read_cues("楼上天天半夜装修").asks
