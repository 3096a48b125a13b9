"""One consistent set of entities per message, whichever extractor found them.

DIET tags tokens, so a time jieba cut in two comes back in pieces ("下" +
"礼拜五", "十一月" + "二十八号") and an address in parts ("3幢" + "1单元202").
Exact patterns (phone numbers, ticket numbers, building-unit-room addresses) are
found by the regex extractor, and DIET may tag the same characters as
something else. DIET's time edges fall short ("周日" of "周日下午") and it takes
durations ("一个礼拜") for times. This component, placed after every extractor,
lets exact patterns win, joins touching pieces of one time or address, grows
learnt times to the time expressions jionlp reads there, and trims spans to
their characters, so slots get what the resident wrote.

Learnt spans of one character are dropped as fragments of a token, unless the training data
annotates spans of one character for that entity type (CAIS, the public benchmark, has songs
called "雪"); the types that have them are what this component learns in training.
"""

from __future__ import annotations

import json
from typing import Any, Collection, Dict, List

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import ENTITIES, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from text.timeparse import time_spans, warm_up

PATTERN_EXTRACTOR = "RegexEntityExtractor"
# Entity types whose touching pieces are one expression ("幺八六二五" + "一七零三九九").
JOINABLE = frozenset({"date_time", "address", "phone"})
# What joins two times into one range ("下周一到周五", "两点至五点").
RANGE_JOINERS = frozenset({"到", "至", "-", "~", "～", "—"})
# A learnt time without any of these characters is a number or a word, not a time ("一个", "二十").
TIME_CHARACTERS = frozenset("年月日号天周礼拜星期点时分秒早午晚夜宵晨今明昨前后上下中春夏秋冬节假末旬刻半钟")
# How often, not when (the annotation guide, docs/operations.md): alone, these are no time.
FREQUENCIES = frozenset({"每天", "天天", "每周", "每礼拜", "每星期", "每月", "每个月", "每年"})
# A measure word jionlp keeps in front of a time ("排个周二上午").
TIME_LEADING_NOISE = frozenset("个")
# Learnt spans that may end in a range word with nothing after it.
DANGLING = frozenset({"date_time", "address"})
# Where a learnt span may widen a pattern match of its type with context ("幸福小区" + "3栋2单元501").
WIDENABLE = frozenset({"address"})
# Characters a span never starts or ends with.
EDGE_NOISE = " \t\r\n，。！？、；：,.!?;:~～（）()【】[]\"'“”‘’"
SINGLE_CHARACTER_FILE = "single_character_types.json"

Entity = Dict[str, Any]


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR, is_trainable=True)
class EntityReconciler(GraphComponent):
    """Resolves overlaps and fragments among the entities other extractors found."""

    def __init__(
        self,
        model_storage: ModelStorage | None = None,
        resource: Resource | None = None,
        single_character_types: Collection[str] = (),
    ) -> None:
        self._model_storage = model_storage
        self._resource = resource
        self.single_character_types = frozenset(single_character_types)

    @classmethod
    def create(
        cls,
        config: Dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> EntityReconciler:
        warm_up()  # jionlp's dictionaries, before the first resident waits for them
        return cls(model_storage, resource)

    @classmethod
    def load(
        cls,
        config: Dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> EntityReconciler:
        """The trained component, with the entity types that may be one character long (none, for
        a model trained before it learnt them)."""
        warm_up()
        try:
            with model_storage.read_from(resource) as directory:
                types = json.loads((directory / SINGLE_CHARACTER_FILE).read_text(encoding="utf-8"))
        except ValueError:
            types = []
        return cls(model_storage, resource, types)

    def train(self, training_data: TrainingData) -> Resource:
        """Learns which entity types the data annotates with one character."""
        self.single_character_types = frozenset(
            entity["entity"]
            for message in training_data.entity_examples
            for entity in message.get(ENTITIES) or []
            if entity["end"] - entity["start"] == 1
        )
        if self._model_storage is None or self._resource is None:
            raise ValueError("EntityReconciler needs its model storage to be trained")
        with self._model_storage.write_to(self._resource) as directory:
            text = json.dumps(sorted(self.single_character_types), ensure_ascii=False)
            (directory / SINGLE_CHARACTER_FILE).write_text(text, encoding="utf-8")
        return self._resource

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            entities = message.get(ENTITIES)
            if entities:
                reconciled = reconcile(message.get(TEXT) or "", entities, self.single_character_types)
                message.set(ENTITIES, reconciled, add_to_output=True)
        return messages


def reconcile(text: str, entities: List[Entity], single_character_types: Collection[str] = ()) -> List[Entity]:
    """``entities`` trimmed, with exact patterns preferred and touching pieces joined; learnt spans of
    one character are kept only for ``single_character_types``."""
    trimmed = [entity for entity in (_trim(text, entity) for entity in entities) if entity is not None]
    exact = _without_duplicates([entity for entity in trimmed if entity.get("extractor") == PATTERN_EXTRACTOR])
    learnt = [entity for entity in trimmed if entity.get("extractor") != PATTERN_EXTRACTOR]
    # A learnt span that widens a pattern match of its own type ("幸福小区" + "3栋2单元501")
    # keeps the context; any other learnt span over a pattern match goes.
    widened = [e for e in learnt if any(_widens(e, x) for x in exact)]
    exact = [x for x in exact if not any(_widens(e, x) for e in widened)]
    learnt = [e for e in learnt if e in widened or not any(_overlap(e, x) for x in exact)]
    kept = sorted(exact + learnt, key=lambda entity: (entity["start"], entity["end"]))
    joined = [_without_dangling_joiner(text, entity) for entity in _join_touching(text, kept)]
    fitted = _fitted_to_time_expressions(text, [entity for entity in joined if entity is not None])
    return [
        entity
        for entity in fitted
        if entity.get("extractor") == PATTERN_EXTRACTOR or _plausible(entity, single_character_types)
    ]


def _trim(text: str, entity: Entity) -> Entity | None:
    start, end = entity["start"], entity["end"]
    while start < end and text[start] in EDGE_NOISE:
        start += 1
    while end > start and text[end - 1] in EDGE_NOISE:
        end -= 1
    if start == end:
        return None
    if (start, end) == (entity["start"], entity["end"]):
        return entity
    return {**entity, "start": start, "end": end, "value": _value(text, entity, start, end)}


def _without_dangling_joiner(text: str, entity: Entity) -> Entity | None:
    """A learnt time or address ending in a range word that joins it to nothing ("下周三到" 九栋来,
    "5栋1单元302 到" 了楼下) stops before it: the word belongs to the sentence."""
    if entity["entity"] not in DANGLING or entity.get("extractor") == PATTERN_EXTRACTOR:
        return entity
    if entity["end"] - entity["start"] < 2 or text[entity["end"] - 1] not in RANGE_JOINERS:
        return entity
    end = entity["end"] - 1
    return _trim(text, {**entity, "end": end, "value": _value(text, entity, entity["start"], end)})


def _fitted_to_time_expressions(text: str, entities: List[Entity]) -> List[Entity]:
    """Learnt times grow to the time expressions jionlp reads under them (DIET's "周日" of
    "周日下午"), and a learnt time that jionlp reads as a duration ("一个礼拜") goes. They never
    shrink: jionlp does not read every time a resident writes ("每天晚饭后" is "每天晚" to it)."""
    if not any(_is_learnt_time(entity) for entity in entities):
        return entities
    expressions = time_spans(text)
    fitted: List[Entity] = []
    for entity in entities:
        if _is_learnt_time(entity):
            under = [span for span in expressions if span.start < entity["end"] and entity["start"] < span.end]
            if under and all(span.duration for span in under):
                continue
            if under:
                start = min(entity["start"], *(span.start for span in under))
                entity = _refit(text, entity, entities, start, max(entity["end"], *(span.end for span in under)))
            if text[entity["start"]] in TIME_LEADING_NOISE and entity["end"] - entity["start"] > 1:
                entity = _refit(text, entity, [], entity["start"] + 1, entity["end"])
            if fitted and _is_learnt_time(fitted[-1]) and _overlap(fitted[-1], entity):
                previous = fitted.pop()
                entity = _refit(text, previous, [], previous["start"], max(previous["end"], entity["end"]))
        fitted.append(entity)
    return fitted


def _is_learnt_time(entity: Entity) -> bool:
    return entity["entity"] == "date_time" and entity.get("extractor") != PATTERN_EXTRACTOR


def _refit(text: str, entity: Entity, others: List[Entity], start: int, end: int) -> Entity:
    """``entity`` moved to [start, end), unless that would cover an entity of another type."""
    if (start, end) == (entity["start"], entity["end"]):
        return entity
    moved = {**entity, "start": start, "end": end, "value": _value(text, entity, start, end)}
    if any(other["entity"] != "date_time" and _overlap(moved, other) for other in others):
        return entity
    return moved


def _value(text: str, entity: Entity, start: int, end: int) -> Any:
    """The span's text, unless a synonym already mapped the value to something else."""
    original = text[entity["start"] : entity["end"]]
    return text[start:end] if entity.get("value") == original else entity.get("value")


def _plausible(entity: Entity, single_character_types: Collection[str]) -> bool:
    """Learnt spans of one character ("下", "号", "赵") are token fragments, not entities, unless
    their type is annotated with one character in training."""
    span = entity["end"] - entity["start"]
    if span < 2 and entity["entity"] not in single_character_types:
        return False
    if entity["entity"] == "date_time":
        value = str(entity.get("value", ""))
        return value not in FREQUENCIES and any(character in TIME_CHARACTERS for character in value)
    return True


def _overlap(first: Entity, second: Entity) -> bool:
    return first["start"] < second["end"] and second["start"] < first["end"]


def _widens(learnt: Entity, exact: Entity) -> bool:
    return (
        learnt["entity"] == exact["entity"] in WIDENABLE
        and learnt["start"] <= exact["start"]
        and exact["end"] <= learnt["end"]
        and (learnt["start"], learnt["end"]) != (exact["start"], exact["end"])
    )


def _without_duplicates(entities: List[Entity]) -> List[Entity]:
    """Longest first: a pattern match inside a longer one of another pattern goes."""
    kept: List[Entity] = []
    for entity in sorted(entities, key=lambda e: e["start"] - e["end"]):
        if not any(_overlap(entity, other) for other in kept):
            kept.append(entity)
    return kept


def _join_touching(text: str, entities: List[Entity]) -> List[Entity]:
    joined: List[Entity] = []
    for entity in entities:
        previous = joined[-1] if joined else None
        if (
            previous is not None
            and previous["entity"] == entity["entity"] in JOINABLE
            and previous.get("extractor") == entity.get("extractor")
            and _joined_by(text, previous, entity)
        ):
            joined[-1] = {
                **previous,
                "end": entity["end"],
                "value": text[previous["start"] : entity["end"]],
                **_lower_confidence(previous, entity),
            }
            continue
        joined.append(entity)
    return joined


def _joined_by(text: str, first: Entity, second: Entity) -> bool:
    """Touching pieces, or two times with a range word between them."""
    gap = text[first["end"] : second["start"]]
    return gap == "" or (first["entity"] == "date_time" and gap.strip() in RANGE_JOINERS)


def _lower_confidence(first: Entity, second: Entity) -> Dict[str, float]:
    scores = [e["confidence_entity"] for e in (first, second) if e.get("confidence_entity") is not None]
    return {"confidence_entity": min(scores)} if scores else {}
