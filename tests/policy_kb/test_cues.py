"""Questions about a service are told from requests to do something by their words."""

from __future__ import annotations

import pytest

from policy_kb.cues import asks_for_person, read_cues


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


@pytest.mark.parametrize(
    "text",
    [
        "工单GD20261130-0003 请工作人员联系我",
        "GD20261201-0012这个单子我想找负责的人当面说",
        "让调解员给我打个电话 GD20261202-0005",
        "叫你们社工来我家一趟",
        "麻烦让片区网格员给我回个电话",
        "找你们主任 这事我要说清楚",
    ],
)
def test_a_person_or_role_asked_to_come_call_or_take_over(text):
    assert asks_for_person(text)


@pytest.mark.parametrize(
    "text",
    [
        "查一下GD20261129-0007",
        "报修单号GD20261127-0058 师傅到现在还没联系我",  # no one was asked: a status query
        "请问工作人员几点上班",
        "社区能不能安排人上门理发",  # a service, not a person
        "上门理发的师傅很耐心 五星",
    ],
)
def test_no_person_asked_for(text):
    assert not asks_for_person(text)


@pytest.mark.parametrize(
    "text",
    ["孩子一岁多 白天实在没人看", "我想申请高龄津贴", "老人痴呆了家里照顾不过来 想找个能看病又能住的地方"],
)
def test_a_need_told_as_a_statement_asks_what_there_is(text):
    assert read_cues(text).is_question


@pytest.mark.parametrize(
    "text",
    ["预约心理咨询 周五下午", "我会修自行车 可以免费帮邻居修", "有没有邻居顺路 明早带我去趟医院"],
)
def test_a_booking_or_a_favour_is_a_request_even_with_a_service_or_question_word_in_it(text):
    assert not read_cues(text).is_question
