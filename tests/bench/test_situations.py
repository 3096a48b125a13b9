"""The situations sets (bench/situations) keep the promises other benchmarks rely on: they
load as Rasa and plain YAML, use only the contract's names, are large enough, and every
catalogue id they name exists."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
import yaml
from rasa.shared.nlu.training_data.formats.rasa_yaml import RasaYAMLReader

from policy_kb.catalogue import load_catalogue
from tests.test_training_data import CONTRACT_ENTITIES, CONTRACT_INTENTS

FOLDER = Path(__file__).resolve().parents[2] / "bench" / "situations"
KINDS = {"fire", "gas", "medical", "violence", "missing", "lift", "water", "general"}
LISTS = ("emergencies.yml", "not_emergencies.yml", "service_questions.yml")


def rows(name: str) -> list:
    return yaml.safe_load((FOLDER / name).read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def intents():
    return RasaYAMLReader().read(str(FOLDER / "intents.yml"))


def test_intents_load_with_the_contracts_names_and_thirty_messages_each(intents):
    counts = Counter(example.get("intent") for example in intents.intent_examples)
    assert set(counts) == CONTRACT_INTENTS
    assert min(counts.values()) >= 30
    assert intents.entities == CONTRACT_ENTITIES


def test_no_intent_message_is_written_twice(intents):
    texts = Counter(example.get("text") for example in intents.intent_examples)
    assert [text for text, count in texts.items() if count > 1] == []


def test_emergencies_have_a_known_kind():
    emergencies = rows("emergencies.yml")
    assert len(emergencies) >= 200
    assert {row["kind"] for row in emergencies} == KINDS


def test_not_emergencies_are_many_texts_and_none_is_also_an_emergency():
    calm = rows("not_emergencies.yml")
    assert len(calm) >= 400
    assert all(isinstance(row["text"], str) and row["text"] for row in calm)
    assert {row["text"] for row in calm} & {row["text"] for row in rows("emergencies.yml")} == set()


def test_service_questions_name_catalogue_entries_of_every_topic():
    catalogue = load_catalogue()
    questions = rows("service_questions.yml")
    assert len(questions) >= 200
    assert {row["entry"] for row in questions} - set(catalogue.by_id) == set()
    asked_topics = {catalogue.by_id[row["entry"]].category for row in questions}
    assert asked_topics == {entry.category for entry in catalogue.entries}


@pytest.mark.parametrize("name", ("intents.yml", *LISTS))
def test_every_file_says_it_is_never_trained_on(name):
    header = (FOLDER / name).read_text(encoding="utf-8").split("\n- ")[0]
    assert "NEVER TRAIN ON THIS" in header
