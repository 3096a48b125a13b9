"""Answers before forms: a question about a service goes to the catalogue whatever form intent was guessed."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from policy_kb.retrieval import BM25KnowledgeBase
from policy_kb.routing import CONSULT, LEGAL, ConsultationRouter

NEEDS = yaml.safe_load((Path(__file__).parent / "service_needs.yml").read_text(encoding="utf-8"))
FORM_INTENTS = ["book_service", "file_complaint", "make_suggestion", "post_mutual_help", "out_of_scope"]


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


def test_small_talk_and_cancellations_are_never_rerouted(router):
    for intent in ("cancel_booking", "give_feedback", "affirm", "deny", "thank", "goodbye", "bot_challenge"):
        assert router.route("社区医院在哪儿", intent) is None


def test_an_emergency_with_danger_words_stays_an_emergency(router):
    assert router.route("老公又打我了 有没有地方能躲一躲", "report_emergency") is None
    assert router.route("家里煤气味很大怎么办", "report_emergency") is None


def test_a_plain_service_question_mistaken_for_an_emergency_is_answered(router):
    route = router.route("我儿子判了缓刑 要到哪里报到", "report_emergency")
    assert route is not None and (route.intent, route.entry.id) == (CONSULT, "community-correction")


def test_a_legal_problem_goes_to_the_legal_answer(router):
    route = router.route("跟楼上邻居闹矛盾了 谁能给调解一下", "post_mutual_help")
    assert route is not None and (route.intent, route.entry.id) == (LEGAL, "people-mediation")


def test_a_question_about_one_legal_service_is_answered_by_its_entry(router):
    assert router.route("老板拖欠工资三个月了怎么办", LEGAL) is None  # a legal problem stays legal
    route = router.route("法律明白人是干啥的 我们社区有没有", LEGAL)
    assert route is not None and (route.intent, route.entry.id) == (CONSULT, "legal-guide")


def test_an_unrelated_question_is_left_to_the_classifier(router):
    assert router.route("今天股票涨了吗", "out_of_scope") is None
