"""The guard answers emergencies first and keeps the bot quiet during a handoff."""

from __future__ import annotations

from typing import List

import pytest
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, ActiveLoop, Event, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot.rasa_components.guard_policy import GuardPolicy


@pytest.fixture(scope="module")
def domain() -> Domain:
    return Domain.load("domain.yml")


@pytest.fixture
def policy(tmp_path) -> GuardPolicy:
    return GuardPolicy.create(
        GuardPolicy.get_default_config(),
        LocalModelStorage(tmp_path),
        Resource("guard"),
        ExecutionContext(GraphSchema({}), "test"),
    )


def said(intent: str, ranking: List[tuple] | None = None, text: str = "…") -> UserUttered:
    parse = {"intent": {"name": intent, "confidence": 0.9}, "text": text}
    if ranking:
        parse["intent_ranking"] = [{"name": name, "confidence": c} for name, c in ranking]
    return UserUttered(text, intent=parse["intent"], parse_data=parse)


def predicted(policy: GuardPolicy, domain: Domain, events: List[Event]):
    tracker = DialogueStateTracker.from_events("resident", events, slots=domain.slots)
    prediction = policy.predict_action_probabilities(tracker, domain)
    if max(prediction.probabilities) == 0:
        return None, prediction
    return domain.action_names_or_texts[prediction.max_confidence_index], prediction


def test_an_emergency_beats_an_active_form(policy, domain):
    events = [
        ActionExecuted("action_listen"),
        said("book_service"),
        ActionExecuted("booking_form"),
        ActiveLoop("booking_form"),
        ActionExecuted("action_listen"),
        said("report_emergency", text="楼道里着火了"),
    ]
    action, prediction = predicted(policy, domain, events)
    assert action == "utter_emergency_fire"
    assert prediction.is_no_user_prediction and prediction.policy_priority > 6


@pytest.mark.parametrize(
    "text, response",
    [
        ("家里煤气味好大", "utter_emergency_gas"),
        ("我爸摔倒了起不来", "utter_emergency_medical"),
        ("他又打我了", "utter_emergency_violence"),
        ("孩子不见了", "utter_emergency_missing"),
        ("救命啊", "utter_emergency_general"),
    ],
)
def test_the_first_answer_is_the_hotline_for_the_kind_of_emergency(policy, domain, text, response):
    assert (
        predicted(policy, domain, [ActionExecuted("action_listen"), said("report_emergency", text=text)])[0] == response
    )


def test_the_ticket_follows_the_hotline(policy, domain):
    events = [
        ActionExecuted("action_listen"),
        said("report_emergency", text="着火了"),
        ActionExecuted("utter_emergency_fire"),
    ]
    assert predicted(policy, domain, events)[0] == "action_handle_emergency"


def test_an_emergency_below_the_fallback_threshold_is_still_an_emergency(policy, domain):
    # "…" was the text here: noise, which the detector never takes for an emergency (issue 20).
    message = said(
        "nlu_fallback",
        ranking=[("nlu_fallback", 0.45), ("report_emergency", 0.4), ("greet", 0.1)],
        text="着伙了 烧到窗帘了",
    )
    action, _ = predicted(policy, domain, [ActionExecuted("action_listen"), message])
    assert action == "utter_emergency_fire"


def test_the_classifier_alone_can_make_an_emergency_under_the_fallback(policy, domain):
    ambiguous = [("nlu_fallback", 0.6), ("report_emergency", 0.51), ("request_human", 0.49)]
    message = said("nlu_fallback", ranking=ambiguous, text="你们快过来一趟")
    assert predicted(policy, domain, [ActionExecuted("action_listen"), message])[0] == "utter_emergency_general"


@pytest.mark.parametrize(
    "intent, text, response",
    [
        ("file_complaint", "楼道里全是烟 我们在五楼下不去", "utter_emergency_fire"),
        ("consult_service", "我爸躺在床上怎么叫都叫不醒", "utter_emergency_medical"),
        ("out_of_scope", "地下室进水了 水已经没过膝盖了 我奶奶还在下面", "utter_emergency_water"),
        ("nlu_fallback", "我家老头有痴呆 下午出去遛弯到现在天黑了还没回来", "utter_emergency_missing"),
    ],
)
def test_a_danger_situation_is_an_emergency_whatever_the_top_intent(policy, domain, intent, text, response):
    message = said(intent, ranking=[(intent, 0.6), ("report_emergency", 0.05)], text=text)
    action, prediction = predicted(policy, domain, [ActionExecuted("action_listen"), message])
    assert action == response
    assert prediction.is_no_user_prediction


@pytest.mark.parametrize(
    "text",
    ["我妈一个人在家 我有点担心 能不能请网格员去看看", "上周三号楼着火的事后来怎么处理的", "煤气费怎么交", "x7#kQ!9zz"],
)
def test_a_false_alarm_gets_the_menu_not_the_duty_phone_even_as_the_top_intent(policy, domain, text):
    message = said("report_emergency", ranking=[("report_emergency", 0.9)], text=text)
    events = [ActionExecuted("action_listen"), message]
    assert predicted(policy, domain, events)[0] == "utter_menu"
    assert predicted(policy, domain, [*events, ActionExecuted("utter_menu")])[0] == "action_listen"


def test_a_payload_naming_the_emergency_intent_is_taken_at_its_word(policy, domain):
    message = said("report_emergency", text="/report_emergency")
    assert predicted(policy, domain, [ActionExecuted("action_listen"), message])[0] == "utter_emergency_general"


def test_a_weak_sign_answering_a_form_needs_a_sure_classifier(policy, domain):
    unsure = said("inform", ranking=[("inform", 0.6), ("report_emergency", 0.3)], text="那个电话打不通")
    assert predicted(policy, domain, form_asking_then(unsure))[0] is None
    assert predicted(policy, domain, [ActionExecuted("action_listen"), unsure])[0] == "utter_emergency_general"


def test_a_false_alarm_inside_a_form_leaves_the_form_to_ask_again(policy, domain):
    message = said("report_emergency", ranking=[("report_emergency", 0.95)], text="担心我妈 能不能去看看")
    assert predicted(policy, domain, form_asking_then(message))[0] is None


def test_a_situation_inside_a_form_breaks_in_whatever_the_intent(policy, domain):
    message = said("inform", ranking=[("inform", 0.8)], text="我老伴突然晕过去了")
    assert predicted(policy, domain, form_asking_then(message))[0] == "utter_emergency_medical"


def test_during_a_handoff_every_message_is_relayed(policy, domain):
    events = [SlotSet("handoff_active", True), ActionExecuted("action_listen"), said("greet")]
    assert predicted(policy, domain, events)[0] == "action_relay_to_staff"


def test_after_relaying_the_bot_listens(policy, domain):
    events = [
        SlotSet("handoff_active", True),
        ActionExecuted("action_listen"),
        said("greet"),
        ActionExecuted("action_relay_to_staff"),
    ]
    assert predicted(policy, domain, events)[0] == "action_listen"


def test_asking_for_a_person_leaves_a_form(policy, domain):
    events = [ActiveLoop("complaint_form"), ActionExecuted("action_listen"), said("request_human")]
    assert predicted(policy, domain, events)[0] == "action_request_human"


def test_an_ordinary_message_is_left_to_the_other_policies(policy, domain):
    assert predicted(policy, domain, [ActionExecuted("action_listen"), said("greet")])[0] is None


def form_asking_then(message: UserUttered) -> List[Event]:
    return [ActiveLoop("complaint_form"), ActionExecuted("complaint_form"), ActionExecuted("action_listen"), message]


def test_an_unsure_emergency_without_danger_words_does_not_break_into_a_form(policy, domain):
    unsure = UserUttered("匿名", intent={"name": "report_emergency", "confidence": 0.6})
    assert predicted(policy, domain, form_asking_then(unsure))[0] is None


def test_danger_words_break_into_a_form_whatever_the_confidence(policy, domain):
    unsure = UserUttered("楼下冒烟了", intent={"name": "report_emergency", "confidence": 0.6})
    assert predicted(policy, domain, form_asking_then(unsure))[0] == "utter_emergency_fire"


def rating_asked(ticket: str | None = "GD20261129-0001") -> List[Event]:
    """What the staff service appends when a ticket is resolved: the slot, then the question."""
    return [ActionExecuted("action_listen"), SlotSet("rating_ticket", ticket)]


@pytest.mark.parametrize("text, intent", [("5", "inform"), ("4分", "give_feedback"), ("很满意", "affirm")])
def test_a_rating_asked_for_goes_to_the_feedback_action_whatever_the_intent(policy, domain, text, intent):
    action, prediction = predicted(policy, domain, [*rating_asked(), said(intent, text=text)])
    assert action == "action_record_feedback"
    assert prediction.is_no_user_prediction


def test_without_a_rating_asked_for_a_bare_number_is_left_to_the_other_policies(policy, domain):
    assert predicted(policy, domain, [*rating_asked(None), said("inform", text="5")])[0] is None


def test_a_message_that_is_no_rating_is_left_alone_while_a_rating_is_asked_for(policy, domain):
    assert predicted(policy, domain, [*rating_asked(), said("consult_service", text="低保怎么办")])[0] is None


def test_after_the_rating_is_recorded_the_bot_listens(policy, domain):
    events = [*rating_asked(), said("inform", text="5"), ActionExecuted("action_record_feedback")]
    assert predicted(policy, domain, events)[0] == "action_listen"


def test_a_photo_goes_to_the_evidence_action_even_inside_a_form(policy, domain):
    photo = UserUttered(
        "[图片]",
        intent={"name": "inform", "confidence": 0.4},
        parse_data={"intent": {"name": "inform", "confidence": 0.4}, "text": "[图片]"},
        metadata={"attachment": {"kind": "image", "url": "http://mmbiz.qpic.cn/p.jpg"}},
    )
    events = [ActionExecuted("action_listen"), ActiveLoop("complaint_form"), ActionExecuted("action_listen"), photo]
    assert predicted(policy, domain, events)[0] == "action_attach_evidence"
    assert predicted(policy, domain, [*events, ActionExecuted("action_attach_evidence")])[0] == "action_listen"
    plain = said("inform", text="[图片]")
    assert predicted(policy, domain, [ActionExecuted("action_listen"), plain])[0] is None


@pytest.mark.parametrize("text", ["还没修好", "不满意 根本没人来"])
def test_not_fixed_in_answer_to_the_follow_up_reopens_the_ticket(policy, domain, text):
    action, _ = predicted(policy, domain, [*rating_asked(), said("file_complaint", text=text)])
    assert action == "action_reopen_ticket"
    events = [*rating_asked(), said("file_complaint", text=text), ActionExecuted("action_reopen_ticket")]
    assert predicted(policy, domain, events)[0] == "action_listen"
