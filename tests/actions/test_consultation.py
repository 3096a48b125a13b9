"""Consultation and legal answers: complete, numbered choices when unsure, and unsure questions counted for staff."""

from __future__ import annotations

import asyncio
import shutil

import pytest
from rasa_sdk.executor import CollectingDispatcher

from actions.actions import ActionAnswerConsultation, ActionAnswerLegal
from actions.formatting import numbered
from policy_kb.catalogue import CATALOGUE_DIR, load_catalogue
from policy_kb.reloading import ReloadingKnowledgeBase
from policy_kb.retrieval import BM25KnowledgeBase
from tests.actions.helpers import BrokenStore, entity, responses, tracker
from tickets.service import TicketService

PLAN = "《江苏省“十四五”城乡社区服务体系建设规划》"
UNSURE = "补贴"  # several allowances match: the bot must ask, not guess
NOTHING = "火星上能种土豆吗"


@pytest.fixture(scope="module")
def kb():
    return BM25KnowledgeBase()


@pytest.fixture
def store(sqlite_url) -> TicketService:
    return TicketService(sqlite_url)


@pytest.fixture(scope="module")
def shared_store(tmp_path_factory) -> TicketService:
    return TicketService(f"sqlite:///{tmp_path_factory.mktemp('store') / 'tickets.db'}")


def run(action, **message):
    dispatcher = CollectingDispatcher()
    events = asyncio.run(action.run(dispatcher, tracker(**message), {}))
    return dispatcher, events


@pytest.mark.parametrize("entry_id", [entry.id for entry in load_catalogue().entries])
def test_every_answer_carries_the_complete_materials_list(kb, shared_store, entry_id):
    entry = kb.catalogue.by_id[entry_id]
    dispatcher, _ = run(
        ActionAnswerConsultation(tickets=shared_store, knowledge_base=kb),
        text=f"{entry.name}要带什么",
        intent="consult_service",
        entities=[entity("service", entry.name)],
    )
    sent = responses(dispatcher)
    assert sent[0] == "utter_service_overview" and dispatcher.messages[0]["name"] == entry.name
    if entry.materials:
        materials = next(m for m in dispatcher.messages if m.get("response") == "utter_service_materials")
        assert materials["materials"] == numbered(entry.materials)
    assert "utter_service_where_when" in sent
    assert shared_store.unanswered_questions() == []


def test_below_the_threshold_the_top_candidates_are_numbered_options(kb, store):
    dispatcher, events = run(ActionAnswerConsultation(tickets=store, knowledge_base=kb), text=UNSURE)
    assert responses(dispatcher) == ["utter_which_service"]
    candidates = kb.search(UNSURE).hits
    buttons = dispatcher.messages[0]["buttons"]
    assert 2 <= len(buttons) <= 3
    assert [b["title"] for b in buttons] == [f"{i}. {hit.entry.name}" for i, hit in enumerate(candidates, start=1)]
    assert all(hit.entry.name in b["payload"] for b, hit in zip(buttons, candidates, strict=True))
    [counted] = store.unanswered_questions()
    assert (counted.question, counted.count) == (UNSURE, 1)
    assert counted.candidates == [hit.entry.id for hit in candidates]


def test_a_question_without_any_candidate_is_counted_too(kb, store):
    dispatcher, _ = run(ActionAnswerConsultation(tickets=store, knowledge_base=kb), text=NOTHING)
    assert responses(dispatcher) == ["utter_no_answer"]
    run(ActionAnswerConsultation(tickets=store, knowledge_base=kb), text=NOTHING + "？")
    [counted] = store.unanswered_questions()
    assert (counted.count, counted.candidates) == (2, [])


def test_a_store_failure_never_costs_the_resident_the_answer(kb):
    dispatcher, _ = run(ActionAnswerConsultation(tickets=BrokenStore(), knowledge_base=kb), text=UNSURE)
    assert responses(dispatcher) == ["utter_which_service"]
    dispatcher, _ = run(ActionAnswerLegal(tickets=BrokenStore(), knowledge_base=kb), text="我有个法律上的事想问问")
    assert responses(dispatcher)[0] == "utter_legal_intro"


def test_a_legal_question_without_a_known_topic_is_counted(kb, store):
    action = ActionAnswerLegal(tickets=store, knowledge_base=kb)
    dispatcher, _ = run(action, text="我有个法律上的事想问问我电话13812345678")
    assert responses(dispatcher)[:2] == ["utter_legal_intro", "utter_legal_routes"]
    [counted] = store.unanswered_questions()
    assert counted.question.startswith("我有个法律上的事想问问") and "13812345678" not in counted.question
    run(ActionAnswerLegal(tickets=store, knowledge_base=kb), text="老板拖欠工资三个月了怎么办")
    assert [row.count for row in store.unanswered_questions()] == [1]


def test_the_legal_answer_follows_a_reloaded_catalogue(tmp_path, store):
    folder = tmp_path / "catalogue"
    shutil.copytree(CATALOGUE_DIR, folder)
    kb = ReloadingKnowledgeBase(folder, check_every=0, background=False)
    action = ActionAnswerLegal(tickets=store, knowledge_base=kb)
    dispatcher, _ = run(action, text="老板拖欠工资三个月了怎么办", intent="ask_legal")
    assert next(m for m in dispatcher.messages if m.get("name") == "法律援助")["where"].startswith("区法律援助中心")
    legal = folder / "legal.yml"
    old_where = "  where: 区法律援助中心；社区受理点在幸福社区党群服务中心（幸福路88号）一楼公共法律服务室\n"
    text = legal.read_text(encoding="utf-8")
    assert old_where in text
    legal.write_text(text.replace(old_where, "  where: 新址：幸福路100号法律援助工作站\n"), encoding="utf-8")
    dispatcher, _ = run(action, text="老板拖欠工资三个月了怎么办", intent="ask_legal")
    legal_aid = next(m for m in dispatcher.messages if m.get("name") == "法律援助")
    assert legal_aid["where"] == "新址：幸福路100号法律援助工作站"


def test_a_bookable_answer_ends_with_its_basis_then_offers_the_booking_and_a_person(kb, store):
    dispatcher, events = run(
        ActionAnswerConsultation(tickets=store, knowledge_base=kb),
        text="俺娘八十多了 社区有没有老年助餐",
        intent="consult_service",
    )
    sent = responses(dispatcher)
    assert sent[0] == "utter_service_overview" and dispatcher.messages[0]["name"] == "老年助餐"
    assert sent[-2:] == ["utter_service_basis", "utter_offer_booking"]
    basis = dispatcher.messages[-2]
    assert basis["plan"] == PLAN + "（九）提升城乡社区服务综合能力 第1条 提升为民服务功能"
    assert basis["checked"] == "2026年12月7日" and basis["community"]
    payloads = [button["payload"] for button in dispatcher.messages[-1]["buttons"]]
    assert payloads == ['/book_service{"service":"老年助餐"}', "/request_human", "/deny"]
    assert events[-1]["name"] == "offered_service" and events[-1]["value"] == "老年助餐"


def test_an_answer_that_cannot_be_booked_offers_a_person(kb, store):
    dispatcher, events = run(
        ActionAnswerConsultation(tickets=store, knowledge_base=kb), text="社区矫正去哪报到", intent="consult_service"
    )
    sent = responses(dispatcher)
    assert sent[-2:] == ["utter_service_basis", "utter_offer_person"]
    assert [button["payload"] for button in dispatcher.messages[-1]["buttons"]] == ["/request_human"]
    assert events[-1]["name"] == "offered_service" and events[-1]["value"] is None


def test_a_local_rule_is_named_as_local_with_its_date(kb, store):
    dispatcher, _ = run(
        ActionAnswerConsultation(tickets=store, knowledge_base=kb), text="高龄津贴怎么申请", intent="consult_service"
    )
    basis = next(m for m in dispatcher.messages if m.get("response", "").startswith("utter_service_basis"))
    assert basis["response"] == "utter_service_basis_local"
    assert (basis["plan"], basis["checked"]) == ("", "2026年12月7日")


def test_a_legal_answer_says_where_its_first_way_to_help_comes_from(kb):
    dispatcher, _ = run(ActionAnswerLegal(knowledge_base=kb), text="老板拖欠工资三个月了怎么办", intent="ask_legal")
    sent = responses(dispatcher)
    assert sent[-2:] == ["utter_service_basis", "utter_offer_booking"]
    assert "（七）推动自治、法治、德治融合发展" in dispatcher.messages[-2]["plan"]


def test_a_legal_answer_puts_the_service_the_question_matched_first(kb):
    dispatcher, _ = run(ActionAnswerLegal(knowledge_base=kb), text="要立遗嘱 去哪里办公证", intent="ask_legal")
    routes = [m["name"] for m in dispatcher.messages if m.get("response") == "utter_legal_route"]
    assert routes[0] == "公证服务"
    dispatcher, _ = run(ActionAnswerLegal(knowledge_base=kb), text="遗产继承有纠纷 想找人调解", intent="ask_legal")
    routes = [m["name"] for m in dispatcher.messages if m.get("response") == "utter_legal_route"]
    assert routes[0] == "人民调解" and "公证服务" in routes  # the topic's order otherwise: 公证 first


@pytest.mark.parametrize(
    "text, guess, name, buttons",
    [
        # The classifier's guess, a form or an emergency the detector clears, is what the routing overrules.
        ("家里老人下不了楼 吃饭能送上门不", "book_service", "上门送餐", ["1. 现在预约", "2. 找工作人员", "3. 先不用"]),
        ("孩子放学早 家长下班晚 社区有地方看着写作业吗", "file_complaint", "课后托管", ["1. 找工作人员"]),
        ("小孩打疫苗去哪打 要带啥", "report_emergency", "社区卫生服务中心", ["1. 找工作人员"]),
    ],
)
def test_a_need_phrased_question_is_answered_with_its_basis_and_numbered_options_not_a_form(
    kb, store, text, guess, name, buttons
):
    """Through the NLU's routing (real router and catalogue) to the answer: no form, no ticket."""
    from rasa.shared.nlu.training_data.message import Message

    from bot.rasa_components.consult_routing import ConsultationRouting
    from policy_kb.routing import ConsultationRouter

    routing = ConsultationRouting(ConsultationRouting.get_default_config(), ConsultationRouter(kb))
    ranking = [{"name": guess, "confidence": 0.8}, {"name": "consult_service", "confidence": 0.2}]
    message = Message(data={"text": text, "intent": ranking[0], "intent_ranking": ranking, "entities": []})
    [parsed] = routing.process([message])
    assert parsed.get("intent")["name"] == "consult_service"
    dispatcher, _ = run(
        ActionAnswerConsultation(tickets=store, knowledge_base=kb),
        text=text,
        intent="consult_service",
        entities=parsed.get("entities"),
    )
    sent = responses(dispatcher)
    assert sent[0] == "utter_service_overview" and dispatcher.messages[0]["name"] == name
    assert any(response.startswith("utter_service_basis") for response in sent)
    assert [button["title"] for button in dispatcher.messages[-1]["buttons"]] == buttons
    assert store.tickets_of("resident-1", limit=10) == []
