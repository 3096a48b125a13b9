"""Answers before forms, inside the NLU pipeline (the decision itself is :mod:`policy_kb.routing`).

Placed after the intent classifier and the entity components, before FallbackClassifier: a
question about a service that the catalogue answers confidently becomes ``consult_service`` (or
``ask_legal`` for a legal problem) even where the classifier chose a form, so rules answer it
instead of asking “大概什么时候？”. Nothing the emergency detector finds dangerous is routed, so the
guard still sees the classifier's report_emergency probability for every message it must alarm on.
The routed intent gets a fixed high confidence, so the fallback does not undo the decision; the parse
result says what was changed under ``consult_routing``. The matched service is added as an entity where
the resident wrote its name, so the conversation knows it. A request for a person or a role to come, call
or take over becomes ``request_human`` where the classifier took it for a status query, a cancellation
or feedback (a ticket number or a service named in it).

It remembers the intents it was trained with and routes only to one of them: a model trained on other
data (CAIS, the public benchmark scored through this pipeline) has no ``consult_service`` to route to,
and its messages are left as the classifier read them.
"""

from __future__ import annotations

import json
import logging
from typing import Any, Collection, Dict, FrozenSet, List

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import ENTITIES, INTENT, INTENT_NAME_KEY, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from policy_kb.emergency import default_detector, emergency_probability
from policy_kb.reloading import ReloadingKnowledgeBase
from policy_kb.routing import HUMAN, ConsultationRouter, Route
from policy_kb.schema import ServiceEntry

logger = logging.getLogger(__name__)

SERVICE_ENTITY = "service"
# An address or a phone number is what a booking or a report gives; a time is not: questions name times
# too ("周末开门不", "放学三点半").
DETAIL_ENTITIES = frozenset({"address", "phone"})
ROUTING_KEY = "consult_routing"
CONFIDENCE_KEY = "confidence"
INTENTS_FILE = "intents.json"


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class ConsultationRouting(GraphComponent):
    """Re-ranks the classifier's intents with the catalogue and the question's wording."""

    @staticmethod
    def get_default_config() -> Dict[str, Any]:
        # The routed intent's confidence: above FallbackClassifier's threshold, and clear of the rest.
        return {"routed_confidence": 0.9}

    def __init__(
        self,
        config: Dict[str, Any],
        router: ConsultationRouter | None = None,
        intents: Collection[str] | None = None,
        model_storage: ModelStorage | None = None,
        resource: Resource | None = None,
    ) -> None:
        """``intents``: the model's intents, the only ones routed to (None: any)."""
        self._config = config
        self._router = router
        self.intents: FrozenSet[str] | None = None if intents is None else frozenset(intents)
        self._model_storage = model_storage
        self._resource = resource

    @classmethod
    def create(
        cls,
        config: Dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> ConsultationRouting:
        # Follows staff edits of the catalogue, as the action server does; built once, at load, with the
        # emergency detector's dictionaries loaded now rather than on a resident's message.
        default_detector().warm_up()
        return cls(config, ConsultationRouter(ReloadingKnowledgeBase()), None, model_storage, resource)

    @classmethod
    def load(
        cls,
        config: Dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> ConsultationRouting:
        """The trained component, with the intents it was trained with (any, for a model trained
        before it learnt them)."""
        try:
            with model_storage.read_from(resource) as directory:
                intents = json.loads((directory / INTENTS_FILE).read_text(encoding="utf-8"))
        except ValueError:
            intents = None
        default_detector().warm_up()
        return cls(config, ConsultationRouter(ReloadingKnowledgeBase()), intents, model_storage, resource)

    def train(self, training_data: TrainingData) -> Resource:
        """Remembers the training data's intents: nothing else is learnt."""
        self.intents = frozenset(training_data.intents)
        if self._model_storage is None or self._resource is None:
            raise ValueError("ConsultationRouting needs its model storage to be trained")
        with self._model_storage.write_to(self._resource) as directory:
            (directory / INTENTS_FILE).write_text(
                json.dumps(sorted(self.intents), ensure_ascii=False), encoding="utf-8"
            )
        return self._resource

    @property
    def router(self) -> ConsultationRouter:
        if self._router is None:
            self._router = ConsultationRouter(ReloadingKnowledgeBase())
        return self._router

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            intent = (message.get(INTENT) or {}).get(INTENT_NAME_KEY)
            text = message.get(TEXT) or ""
            if not intent or not text:
                continue
            confidence = float((message.get(INTENT) or {}).get(CONFIDENCE_KEY, 1.0))
            parsed = {INTENT: message.get(INTENT), INTENT_RANKING_KEY: message.get(INTENT_RANKING_KEY)}
            danger = emergency_probability(parsed)
            if self.router.asks_for_person(text, intent, confidence, danger) and self._may_route_to(HUMAN):
                self._rerank(message, HUMAN)
                message.set(ROUTING_KEY, {"from": intent, "entry": None}, add_to_output=True)
                continue
            route = self.router.route(
                text, intent, _service_entity(message), _gives_details(message), confidence, danger
            )
            if route is not None and self._may_route_to(route.intent):
                self._apply(message, route)
        return messages

    def _may_route_to(self, intent: str) -> bool:
        """Only to an intent the model was trained with (any, for a model older than this rule)."""
        return self.intents is None or intent in self.intents

    def _rerank(self, message: Message, intent: str) -> None:
        """``intent`` first with the routed confidence; the others share what is left, in their order."""
        confidence = float(self._config["routed_confidence"])
        ranking = [dict(item) for item in message.get(INTENT_RANKING_KEY) or [] if item.get(INTENT_NAME_KEY)]
        others = [item for item in ranking if item[INTENT_NAME_KEY] != intent]
        rest = sum(item.get(CONFIDENCE_KEY, 0.0) for item in others)
        for item in others:
            item[CONFIDENCE_KEY] = (1 - confidence) * item.get(CONFIDENCE_KEY, 0.0) / rest if rest else 0.0
        message.set(INTENT, {INTENT_NAME_KEY: intent, CONFIDENCE_KEY: confidence}, add_to_output=True)
        message.set(
            INTENT_RANKING_KEY, [{INTENT_NAME_KEY: intent, CONFIDENCE_KEY: confidence}, *others], add_to_output=True
        )

    def _apply(self, message: Message, route: Route) -> None:
        self._rerank(message, route.intent)
        entities = list(message.get(ENTITIES) or [])
        if not any(entity.get("entity") == SERVICE_ENTITY for entity in entities):
            found = _written_service(message.get(TEXT) or "", route.entry)
            if found is not None:
                entities.append(found)
                message.set(ENTITIES, sorted(entities, key=lambda e: e.get("start", 0)), add_to_output=True)
        message.set(ROUTING_KEY, {"from": route.previous, "entry": route.entry.id}, add_to_output=True)


def _gives_details(message: Message) -> bool:
    """An address or a phone number: what a booking or a report gives, and a question rarely does."""
    return any(entity.get("entity") in DETAIL_ENTITIES for entity in message.get(ENTITIES) or [])


def _service_entity(message: Message) -> str | None:
    return next((e.get("value") for e in message.get(ENTITIES) or [] if e.get("entity") == SERVICE_ENTITY), None)


def _written_service(text: str, entry: ServiceEntry) -> Dict[str, Any] | None:
    """The entry as a service entity, where the resident wrote its name or one of its aliases (longest first)."""
    lowered = text.lower()
    for word in sorted((entry.name, *entry.aliases), key=len, reverse=True):
        start = lowered.find(word.lower())
        if start >= 0:
            return {
                "entity": SERVICE_ENTITY,
                "start": start,
                "end": start + len(word),
                "value": entry.name,
                "extractor": ConsultationRouting.__name__,
            }
    return None
