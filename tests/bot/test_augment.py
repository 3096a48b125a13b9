"""Noisy copies: residents' typing habits added to training data, entity spans kept, parsing untouched."""

from __future__ import annotations

import random

from rasa.nlu.classifiers.diet_classifier import DIETClassifier
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.rasa_components.augment import NOISY_COPY, NoisyCopies, homophone_table, rewrite
from bot.rasa_components.diet import LeanDIETClassifier

NOISY = {"homophone_rate": 1.0, "dialect_rate": 1.0, "unpunctuated_rate": 1.0, "particle_rate": 0.0}


def _example(text: str, intent: str, entities: list | None = None) -> Message:
    return Message(data={"text": text, "intent": intent, **({"entities": entities} if entities else {})})


def _service(text: str, word: str, value: str) -> dict:
    start = text.index(word)
    return {"entity": "service", "start": start, "end": start + len(word), "value": value}


def test_homophones_are_other_characters_of_the_training_data_with_the_same_sound():
    table = homophone_table(["高龄津贴", "今天 金子"])
    assert set(table["津"]) == {"今", "金"}
    assert "贴" not in table  # nothing else written sounds like it


def test_a_copy_keeps_its_entities_on_their_characters_and_values():
    text = "我想问问 高龄津贴 怎么申请？"
    message = _example(text, "consult_service", [_service(text, "高龄津贴", "高龄津贴")])
    homophones = homophone_table([text, "金子 今天"])
    copy = NoisyCopies(NOISY).noisy_copy(message, homophones, random.Random(0))

    assert copy is not None
    new_text = copy.get("text")
    assert " " not in new_text and "？" not in new_text
    assert "俺" in new_text and ("咋" in new_text or "哪能" in new_text)
    [entity] = copy.get("entities")
    assert entity["value"] == "高龄津贴"
    written = new_text[entity["start"] : entity["end"]]
    assert len(written) == 4 and written[2] in "今金津"


def test_replacements_that_would_cut_an_entity_edge_are_left_out():
    text = "什么时候来"
    entities = [{"entity": "date_time", "start": 0, "end": 4, "value": "什么时候"}]
    new_text, moved = rewrite(text, [(0, 2, "啥")], entities)
    assert new_text == text
    assert moved[0]["start"] == 0 and moved[0]["end"] == 4


def test_training_data_gains_one_copy_per_example_and_parsing_is_untouched():
    examples = [_example("你们什么时候来修？", "check_ticket_status"), _example("谢谢你", "thank")]
    component = NoisyCopies({**NOISY, "skip_intents": ["thank"]})

    augmented = component.process_training_data(TrainingData(training_examples=examples))

    texts = [m.get("text") for m in augmented.intent_examples]
    assert len(texts) == 3 and texts[:2] == ["你们什么时候来修？", "谢谢你"]
    assert "啥" in texts[2] and "？" not in texts[2]
    message = Message(data={"text": "你们什么时候来修？"})
    assert component.process([message])[0].get("text") == "你们什么时候来修？"


def test_copies_are_the_same_on_every_training_run():
    examples = [_example(f"我家{n}号楼的灯坏了什么时候修", "file_complaint") for n in range(5)]
    first = NoisyCopies({}).process_training_data(TrainingData(training_examples=examples))
    second = NoisyCopies({}).process_training_data(TrainingData(training_examples=examples))
    assert [m.get("text") for m in first.intent_examples] == [m.get("text") for m in second.intent_examples]


def test_examples_with_entities_are_copied_unless_told_not_to():
    text = "帮我约个理发"
    examples = [_example(text, "book_service", [_service(text, "理发", "助老理发")])]
    copied = NoisyCopies(NOISY).process_training_data(TrainingData(training_examples=examples))
    left = NoisyCopies({**NOISY, "copy_entity_examples": False}).process_training_data(
        TrainingData(training_examples=examples)
    )
    assert len(copied.intent_examples) == 2 and copied.intent_examples[1].get(NOISY_COPY)
    assert len(left.intent_examples) == 1


def test_diet_learns_entities_from_the_examples_as_written_only(monkeypatch):
    seen = []
    monkeypatch.setattr(DIETClassifier, "train", lambda self, data: seen.extend(data.training_examples))
    examples = [_example("你们什么时候来修", "check_ticket_status"), _example("谢谢你", "thank")]
    augmented = NoisyCopies(NOISY).process_training_data(TrainingData(training_examples=examples))
    assert len(augmented.training_examples) == 4

    LeanDIETClassifier.train(object.__new__(LeanDIETClassifier), augmented)

    assert [m.get("text") for m in seen] == ["你们什么时候来修", "谢谢你"]
