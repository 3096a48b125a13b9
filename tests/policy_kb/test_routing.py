"""Answers before forms: a question about a service goes to the catalogue whatever form intent was guessed."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from policy_kb import routing
from policy_kb.emergency import Assessment
from policy_kb.retrieval import BM25KnowledgeBase
from policy_kb.routing import CONSULT, LEGAL, ConsultationRouter

NEEDS = yaml.safe_load((Path(__file__).parent / "service_needs.yml").read_text(encoding="utf-8"))
FORM_INTENTS = ["book_service", "file_complaint", "make_suggestion", "post_mutual_help", "browse_mutual_help"]


@pytest.fixture(scope="module")
def router():
    return ConsultationRouter(BM25KnowledgeBase())


@pytest.mark.parametrize("intent", FORM_INTENTS)
def test_service_questions_phrased_as_needs_go_to_their_entry(router, intent):
    routed = [(item, router.route(item["text"], intent)) for item in NEEDS]
    right = [item for item, route in routed if route is not None and route.entry.id == item["entry"]]
    missed = [item["text"] for item, route in routed if route is None]
    assert not missed  # none starts a form
    assert len(right) / len(NEEDS) >= 0.9


@pytest.mark.parametrize("intent", ["greet", "out_of_scope"])
def test_a_catch_all_guess_gives_way_to_a_strong_match_only(router, intent):
    routed = [router.route(item["text"], intent) for item in NEEDS]
    assert sum(route is not None for route in routed) / len(NEEDS) >= 0.9
    assert router.route("哈喽 有人在线不", intent) is None  # 在线 is in 24小时线上服务's words, weakly
    assert router.route("你能帮我写代码吗", intent) is None


@pytest.mark.parametrize(
    "text, intent",
    [
        ("我要约明天中午的助餐", "book_service"),
        ("帮我预约周六上门理发", "book_service"),
        ("3号楼电梯坏了 报修", "file_complaint"),
        ("我要投诉楼上装修太吵", "file_complaint"),
        ("社区能不能装个充电桩", "make_suggestion"),
        ("我上周的投诉处理得怎么样了", "check_ticket_status"),
        ("老年助餐", "book_service"),  # a service named without a question is the booking it was
    ],
)
def test_requests_keep_their_intent(router, text, intent):
    assert router.route(text, intent) is None


def test_a_question_matching_the_forms_own_service_keeps_the_form(router):
    # The complaint form is how a complaint about the lift is made.
    assert router.route("电梯坏了好几天了 怎么还没人修", "file_complaint") is None


def test_intents_decided_by_their_own_words_are_rerouted_only_when_unsure(router):
    intents = ("check_ticket_status", "cancel_booking", "request_human", "give_feedback", "inform", "affirm")
    for intent in (*intents, "deny", "thank", "goodbye", "bot_challenge"):
        assert router.route("社区医院在哪儿", intent) is None
        assert router.route("社区医院在哪儿", intent, confidence=0.3) is not None


@pytest.mark.parametrize(
    "text, intent",
    [
        ("能帮我挂个法律咨询的号吗", "book_service"),
        ("有人能帮我把旧柜子搬下楼吗 我搬不动", "post_mutual_help"),
        ("我可以免费教老人用手机 有人需要吗", "post_mutual_help"),
        ("邻里圈最近都有啥需求", "browse_mutual_help"),
        ("提个意见 社区食堂能不能推出小份菜", "make_suggestion"),
        ("楼下空地有人私自搭棚子 怎么没人管", "file_complaint"),
    ],
)
def test_favours_offers_suggestions_and_reports_keep_their_form(router, text, intent):
    assert router.route(text, intent) is None


def test_a_time_address_or_phone_makes_it_a_request(router):
    assert router.route("能上门理发吗", "book_service") is not None
    assert router.route("能上门理发吗", "book_service", details=True) is None


@pytest.mark.parametrize(
    "text",
    [
        "家里煤气味很大怎么办",
        "老伴洗澡时跌倒了 一直不吭声 咋办",  # no word of the emergency list, a catalogue entry matches
    ],
)
def test_an_emergency_the_detector_confirms_is_never_rerouted(router, text):
    assert router.route(text, "report_emergency") is None
    assert router.route(text, "report_emergency", confidence=0.3) is None


def test_a_question_the_classifier_took_for_an_emergency_is_answered_once_the_detector_clears_it(router):
    # The guard would only have answered it with the menu: the catalogue answers it.
    route = router.route("我儿子判了缓刑 要到哪里报到", "report_emergency", confidence=0.8)
    assert route is not None and (route.intent, route.entry.id) == (CONSULT, "community-correction")


def test_an_alarm_that_rests_on_the_classifier_is_kept(router, monkeypatch):
    """Routing lowers the classifier's emergency probability: where the alarm needs it, nothing is routed."""

    def detector_trusting_the_classifier(text, probability=None):
        return Assessment("general", bool(probability and probability >= 0.5), "model")

    monkeypatch.setattr(routing, "detect", detector_trusting_the_classifier)
    text = "社区医院在哪儿 周末开门不"
    assert router.route(text, "post_mutual_help", emergency_probability=0.6) is None
    assert router.route(text, "post_mutual_help", emergency_probability=0.2) is not None


def test_an_alarm_from_the_words_alone_does_not_stop_routing(router, monkeypatch):
    """The guard alarms on a danger in the words whatever the intent: routing cannot change that, so it routes."""
    monkeypatch.setattr(routing, "detect", lambda text, probability=None: Assessment("general", True, "situation"))
    assert router.route("社区医院在哪儿 周末开门不", "post_mutual_help") is not None
    assert router.route("社区医院在哪儿 周末开门不", "report_emergency") is None


def test_a_legal_problem_goes_to_the_legal_answer(router):
    route = router.route("跟楼上邻居闹矛盾了 谁能给调解一下", "post_mutual_help")
    assert route is not None and (route.intent, route.entry.id) == (LEGAL, "people-mediation")


def test_a_question_about_one_legal_service_is_answered_by_its_entry(router):
    assert router.route("老板拖欠工资三个月了怎么办", LEGAL) is None  # a legal problem stays legal
    route = router.route("法律明白人是干啥的 我们社区有没有", LEGAL)
    assert route is not None and (route.intent, route.entry.id) == (CONSULT, "legal-guide")
    assert router.route("法律明白人能帮忙写起诉状吗", LEGAL) is None  # a suit is a legal matter
    assert router.route("车祸后对方拖着不赔 能直接起诉吗", LEGAL) is None


def test_an_unrelated_question_is_left_to_the_classifier(router):
    assert router.route("今天股票涨了吗", "out_of_scope") is None


def test_a_person_asked_for_stays_a_request_for_a_person(router):
    assert router.route("你们这有没有人工客服", "request_human", confidence=0.3) is None
    assert router.route("网格员在吗 我找他有事", "request_human", confidence=0.3) is None


def test_any_unsure_guess_gives_way_to_a_strong_match(router):
    assert router.route("社区医院在哪儿 周末开门不", "post_mutual_help", confidence=0.3) is not None
    assert router.route("社区医院在哪儿 周末开门不", "report_emergency", confidence=0.3) is not None
    assert router.route("哈喽 有人在线不", "check_ticket_status", confidence=0.3) is None


@pytest.mark.parametrize(
    "text, intent",
    [
        ("工单GD20261130-0003 请工作人员联系我", "check_ticket_status"),
        ("让调解员给我打个电话 GD20261202-0005", "cancel_booking"),
        ("家政阿姨的事我要找你们负责人当面说", "give_feedback"),
    ],
)
def test_a_person_asked_for_is_a_request_for_a_person(router, text, intent):
    assert router.asks_for_person(text, intent)


def test_a_person_asked_for_in_a_status_query_stays_one_when_the_words_ask_nobody(router):
    assert not router.asks_for_person("GD20261129-0007 师傅怎么还没联系我", "check_ticket_status")
    assert not router.asks_for_person("让网格员给我回个电话", "report_emergency")  # the guard decides
    assert not router.asks_for_person("叫个人来跟我说", "book_service")  # a form's guess: the classifier's call
