"""The entity reconciler: exact patterns win, fragments of one time or address are joined."""

from __future__ import annotations

from typing import List

import pytest

from bot.rasa_components.entities import reconcile


def learnt(text: str, piece: str, entity: str, nth: int = 0) -> dict:
    start = _find(text, piece, nth)
    return {"start": start, "end": start + len(piece), "value": piece, "entity": entity, "extractor": "DIETClassifier"}


def pattern(text: str, piece: str, entity: str) -> dict:
    found = learnt(text, piece, entity)
    return {**found, "extractor": "RegexEntityExtractor"}


def _find(text: str, piece: str, nth: int) -> int:
    start = -1
    for _ in range(nth + 1):
        start = text.index(piece, start + 1)
    return start


def spans(text: str, entities: List[dict]) -> List[tuple]:
    return [(text[e["start"] : e["end"]], e["entity"]) for e in entities]


def test_touching_pieces_of_a_time_become_one():
    text = "下礼拜五我有空"
    result = reconcile(text, [learnt(text, "下", "date_time"), learnt(text, "礼拜五", "date_time")])
    assert spans(text, result) == [("下礼拜五", "date_time")]
    assert result[0]["value"] == "下礼拜五"


@pytest.mark.parametrize("first", ["下周一", "下周一到"])
def test_a_range_of_times_is_one_expression(first):
    text = "下周一到周五找人遛狗"
    result = reconcile(text, [learnt(text, first, "date_time"), learnt(text, "周五", "date_time")])
    assert spans(text, result) == [("下周一到周五", "date_time")]


def test_different_entities_are_not_joined():
    text = "明天3栋"
    result = reconcile(text, [learnt(text, "明天", "date_time"), learnt(text, "3栋", "address")])
    assert spans(text, result) == [("明天", "date_time"), ("3栋", "address")]


def test_a_phone_pattern_beats_a_learnt_guess_over_the_same_digits():
    text = "约家政 电话15850501234 地址4幢1单元601"
    result = reconcile(
        text,
        [
            learnt(text, "15850501234", "address"),
            pattern(text, "15850501234", "phone"),
            learnt(text, "4幢1单元601", "address"),
        ],
    )
    assert spans(text, result) == [("15850501234", "phone"), ("4幢1单元601", "address")]


def test_a_learnt_phone_spilling_past_the_number_loses_to_the_pattern():
    text = "打我电话13805187760 门铃坏了"
    result = reconcile(text, [learnt(text, "13805187760 门铃", "phone"), pattern(text, "13805187760", "phone")])
    assert spans(text, result) == [("13805187760", "phone")]


def test_a_learnt_address_keeps_its_context_around_a_pattern_match():
    text = "住幸福小区3栋2单元501"
    result = reconcile(text, [learnt(text, "幸福小区3栋2单元501", "address"), pattern(text, "3栋2单元501", "address")])
    assert spans(text, result) == [("幸福小区3栋2单元501", "address")]


def test_fragments_and_numbers_are_not_times():
    text = "订一个会议室 帮我喂下猫 二十来个人"
    result = reconcile(
        text,
        [learnt(text, "一个", "date_time"), learnt(text, "下", "date_time"), learnt(text, "二十", "date_time")],
    )
    assert result == []


def test_spans_are_trimmed_and_synonym_values_kept():
    text = "约个家政 明天"
    service = {**learnt(text, "家政 ", "service"), "value": "家政服务"}
    result = reconcile(text, [service])
    assert spans(text, result) == [("家政", "service")]
    assert result[0]["value"] == "家政服务"


def test_a_range_word_that_joins_nothing_is_left_out():
    text = "帮我约个理发师傅 下周三到九栋来"
    assert spans(text, reconcile(text, [learnt(text, "下周三到", "date_time")])) == [("下周三", "date_time")]
    text = "地址是5栋1单元302 到了楼下打我电话"
    result = reconcile(text, [learnt(text, "5栋1单元302 到", "address")])
    assert spans(text, result) == [("5栋1单元302", "address")]
    assert result[0]["value"] == "5栋1单元302"


def test_a_synonym_value_survives_leaving_out_the_range_word():
    text = "送到老年活动中心到时候见"
    synonym = {**learnt(text, "老年活动中心到", "address"), "value": "社区老年活动中心"}
    result = reconcile(text, [synonym])
    assert spans(text, result) == [("老年活动中心", "address")]
    assert result[0]["value"] == "社区老年活动中心"


@pytest.mark.parametrize(
    ("text", "guess", "expected"),
    [
        ("我可以免费教小朋友画画 周日下午在家里", "周日", "周日下午"),
        ("侬好 想订只舞蹈室 礼拜四夜里 伐晓得有空伐", "礼拜四", "礼拜四夜里"),
        ("要个钟点工来帮忙收拾 下午两点以后都行", "下午两点", "下午两点以后"),
        ("找人一起拼车回盐城老家 国庆前一天走", "国庆前一天", "国庆前一天"),
    ],
)
def test_a_learnt_time_takes_the_edges_of_the_expression_under_it(text, guess, expected):
    result = reconcile(text, [learnt(text, guess, "date_time")])
    assert spans(text, result) == [(expected, "date_time")]
    assert result[0]["value"] == expected


def test_a_duration_is_not_a_time():
    text = "我出差一个礼拜 谁能帮我每天喂一下鱼"
    assert reconcile(text, [learnt(text, "礼拜", "date_time")]) == []


def test_pieces_fitted_to_one_expression_become_one_entity():
    text = "下周三上午有空吗"
    result = reconcile(text, [learnt(text, "下周", "date_time"), learnt(text, "上午", "date_time")])
    assert spans(text, result) == [("下周三上午", "date_time")]


def test_a_time_never_grows_over_another_entity():
    text = "3号楼明天上午"
    address = pattern(text, "3号楼", "address")
    result = reconcile(text, [address, learnt(text, "明天", "date_time")])
    assert spans(text, result) == [("3号楼", "address"), ("明天上午", "date_time")]


@pytest.mark.parametrize(
    ("text", "guess"), [("想找个遛狗搭子 每天晚饭后一起遛", "每天晚饭后"), ("一到饭点就冒臭水", "饭点")]
)
def test_a_learnt_time_never_shrinks_to_what_jionlp_reads(text, guess):
    assert spans(text, reconcile(text, [learnt(text, guess, "date_time")])) == [(guess, "date_time")]


@pytest.mark.parametrize("frequency", ["每天", "天天", "每个月"])
def test_a_bare_frequency_is_not_a_time(frequency):
    text = f"谁能帮我{frequency}喂一下鱼"
    assert reconcile(text, [learnt(text, frequency, "date_time")]) == []


def test_a_measure_word_never_starts_a_time():
    text = "给我排个周二上午的剃头"
    result = reconcile(text, [learnt(text, "个周二", "date_time")])
    assert spans(text, result) == [("周二上午", "date_time")]


def test_a_one_character_span_stays_where_training_annotates_one():
    text = "放一首雪"
    assert reconcile(text, [learnt(text, "雪", "song_name")]) == []
    assert spans(text, reconcile(text, [learnt(text, "雪", "song_name")], {"song_name"})) == [("雪", "song_name")]


def test_the_reconciler_learns_the_types_annotated_with_one_character(tmp_path):
    from rasa.engine.graph import ExecutionContext, GraphSchema
    from rasa.engine.storage.local_model_storage import LocalModelStorage
    from rasa.engine.storage.resource import Resource
    from rasa.shared.nlu.training_data.message import Message
    from rasa.shared.nlu.training_data.training_data import TrainingData

    from bot.rasa_components.entities import EntityReconciler

    storage, resource = LocalModelStorage(tmp_path), Resource("reconciler")
    context = ExecutionContext(GraphSchema({}), "test")
    examples = [
        Message(data={"text": "放一首雪", "intent": "PlayMusic", "entities": [learnt("放一首雪", "雪", "song_name")]}),
        Message(
            data={"text": "明天放周杰伦", "intent": "PlayMusic", "entities": [learnt("明天放周杰伦", "明天", "date")]}
        ),
    ]
    EntityReconciler.create({}, storage, resource, context).train(TrainingData(training_examples=examples))
    reconciler = EntityReconciler.load({}, storage, resource, context)
    assert reconciler.single_character_types == {"song_name"}
    text = "明晚放雪"
    message = Message(data={"text": text, "entities": [learnt(text, "雪", "song_name"), learnt(text, "明", "date")]})
    [message] = reconciler.process([message])
    assert spans(text, message.get("entities")) == [("雪", "song_name")]


def test_a_model_trained_before_the_reconciler_learnt_anything_still_loads(tmp_path):
    """Its node has no stored resource: one-character spans are then fragments, as they were."""
    from rasa.engine.graph import ExecutionContext, GraphSchema
    from rasa.engine.storage.local_model_storage import LocalModelStorage
    from rasa.engine.storage.resource import Resource

    from bot.rasa_components.entities import EntityReconciler

    context = ExecutionContext(GraphSchema({}), "test")
    reconciler = EntityReconciler.load({}, LocalModelStorage(tmp_path), Resource("never_trained"), context)
    assert reconciler.single_character_types == frozenset()
