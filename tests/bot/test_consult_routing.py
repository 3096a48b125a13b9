"""The routing component changes the classifier's verdict on the message itself, before the fallback."""

from __future__ import annotations

from typing import Any, Dict, List

import pytest
from rasa.shared.nlu.training_data.message import Message

from bot.rasa_components.consult_routing import ROUTING_KEY, ConsultationRouting
from policy_kb.retrieval import BM25KnowledgeBase
from policy_kb.routing import ConsultationRouter


@pytest.fixture(scope="module")
def component():
    return ConsultationRouting(ConsultationRouting.get_default_config(), ConsultationRouter(BM25KnowledgeBase()))


def classified(text: str, ranking: List[tuple], entities: List[Dict[str, Any]] | None = None) -> Message:
    """A message as the intent classifier leaves it."""
    intents = [{"name": name, "confidence": confidence} for name, confidence in ranking]
    return Message(data={"text": text, "intent": intents[0], "intent_ranking": intents, "entities": entities or []})


def test_a_question_taken_for_a_complaint_becomes_a_consultation(component):
    ranking = [("file_complaint", 0.4), ("consult_service", 0.3), ("book_service", 0.3)]
    message = classified("家里洗衣机坏了 社区能不能派人来修", ranking)
    [message] = component.process([message])
    assert message.get("intent") == {"name": "consult_service", "confidence": 0.9}
    ranking = message.get("intent_ranking")
    assert [item["name"] for item in ranking] == ["consult_service", "file_complaint", "book_service"]
    assert sum(item["confidence"] for item in ranking) == pytest.approx(1.0)
    assert message.get(ROUTING_KEY) == {"from": "file_complaint", "entry": "home-repair"}
    assert message.get("entities") == []  # no name of the service written: no span to tag


def test_the_service_the_resident_wrote_becomes_the_entity(component):
    [message] = component.process([classified("社区医院在哪儿", [("greet", 0.58), ("consult_service", 0.29)])])
    [service] = message.get("entities")
    assert service["entity"] == "service" and service["value"] == "社区卫生服务中心"
    assert "社区医院在哪儿"[service["start"] : service["end"]] == "社区医院"


def test_a_request_keeps_the_classifiers_verdict(component):
    message = classified("帮我预约周六上门理发", [("book_service", 0.97), ("consult_service", 0.03)])
    [message] = component.process([message])
    assert message.get("intent")["name"] == "book_service"
    assert message.get(ROUTING_KEY) is None


def test_a_service_entity_already_found_is_kept(component):
    found = {"entity": "service", "value": "助老理发", "start": 4, "end": 6, "extractor": "LeanDIETClassifier"}
    [message] = component.process([classified("请问可以预约理发吗", [("book_service", 0.76)], [found])])
    assert message.get("intent")["name"] == "consult_service"
    assert message.get("entities") == [found]


def _trained(tmp_path, intents: List[str]) -> ConsultationRouting:
    """The component as Rasa trains it and loads it back, on examples of ``intents``."""
    from rasa.engine.graph import ExecutionContext, GraphSchema
    from rasa.engine.storage.local_model_storage import LocalModelStorage
    from rasa.engine.storage.resource import Resource
    from rasa.shared.nlu.training_data.training_data import TrainingData

    storage, resource = LocalModelStorage(tmp_path), Resource("routing")
    context = ExecutionContext(GraphSchema({}), "test")
    config = ConsultationRouting.get_default_config()
    examples = [Message(data={"text": f"例句{i}", "intent": name}) for i, name in enumerate(intents)]
    ConsultationRouting.create(config, storage, resource, context).train(TrainingData(training_examples=examples))
    return ConsultationRouting.load(config, storage, resource, context)


def test_a_model_trained_on_other_intents_is_never_routed(tmp_path):
    """CAIS, scored through config.yml, has no consult_service: its unsure guesses stay its own."""
    routing = _trained(tmp_path, ["PlayMusic", "Chat", "Weather"])
    assert routing.intents == {"PlayMusic", "Chat", "Weather"}
    ranking = [("Chat", 0.3), ("PlayMusic", 0.28), ("Weather", 0.2)]
    [message] = routing.process([classified("社区医院在哪儿能不能告诉我", ranking)])
    assert message.get("intent") == {"name": "Chat", "confidence": 0.3}
    assert message.get(ROUTING_KEY) is None


def test_a_model_trained_on_the_communitys_intents_is_routed(tmp_path):
    routing = _trained(tmp_path, ["file_complaint", "consult_service", "book_service"])
    ranking = [("file_complaint", 0.4), ("consult_service", 0.3), ("book_service", 0.3)]
    [message] = routing.process([classified("家里洗衣机坏了 社区能不能派人来修", ranking)])
    assert message.get("intent")["name"] == "consult_service"


def test_a_model_trained_before_routing_learnt_its_intents_still_routes(tmp_path):
    from rasa.engine.graph import ExecutionContext, GraphSchema
    from rasa.engine.storage.local_model_storage import LocalModelStorage
    from rasa.engine.storage.resource import Resource

    context = ExecutionContext(GraphSchema({}), "test")
    config = ConsultationRouting.get_default_config()
    routing = ConsultationRouting.load(config, LocalModelStorage(tmp_path), Resource("never_trained"), context)
    assert routing.intents is None


def test_a_request_for_a_person_with_a_ticket_number_becomes_request_human(component):
    text = "工单GD20261130-0003 请工作人员联系我"
    ticket = {"entity": "ticket_id", "value": "GD20261130-0003", "start": 2, "end": 17, "extractor": "Regex"}
    ranking = [("check_ticket_status", 0.95), ("request_human", 0.05)]
    [message] = component.process([classified(text, ranking, [ticket])])
    assert message.get("intent") == {"name": "request_human", "confidence": 0.9}
    assert [item["name"] for item in message.get("intent_ranking")] == ["request_human", "check_ticket_status"]
    assert message.get("entities") == [ticket]  # the number stays, for the staff who take over
    assert message.get(ROUTING_KEY) == {"from": "check_ticket_status", "entry": None}
