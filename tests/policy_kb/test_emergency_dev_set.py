"""The emergency detector on its own development set (tests/policy_kb/emergency_dev), without the classifier.

Three rounds written by hand for issue 20: ``tune`` was tuned on, ``check`` was written with it and
tuned on after its first figures, ``fresh`` was written after both and fixed after its first figures
(recall alone at their start: 0.73, 0.68, 0.68). The thresholds keep what was reached; the bench's own
sets (bench/situations) stay the measure of generalisation. ``tune``'s emergencies are also training data
(data/nlu/emergency_situations.yml); ``check``, ``fresh`` and ``model`` (written after that training data, to
measure the classifier's share of the detector, not the rules') may not be trained on.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Dict, List, Tuple

import pytest
import yaml

from policy_kb.emergency import HEARSAY, HYPOTHETICAL, PAST, EmergencyDetector
from policy_kb.pinyin_text import is_pinyin

ROOT = Path(__file__).resolve().parents[2]
DEV = Path(__file__).resolve().parent / "emergency_dev"
ROUNDS = ("tune", "check", "fresh")
UNTRAINED = ("check", "fresh", "model")


def _load(name: str, rounds: Tuple[str, ...] = ROUNDS) -> List[Dict[str, str]]:
    return [item for part in rounds for item in yaml.safe_load((DEV / part / name).read_text(encoding="utf-8"))]


@pytest.fixture(scope="module")
def detector() -> EmergencyDetector:
    return EmergencyDetector()


def test_the_dev_set_is_large_enough_and_labelled_with_known_kinds(detector):
    emergencies, calm = _load("emergencies.yml"), _load("not_emergencies.yml")
    assert len(emergencies) >= 250 and len(calm) >= 400
    assert {item["kind"] for item in emergencies} <= set(detector.kinds)


def test_recall_and_false_alarms_on_the_dev_set_without_the_classifier(detector):
    emergencies, calm = _load("emergencies.yml"), _load("not_emergencies.yml")
    caught = [item for item in emergencies if detector.detect(item["text"]).is_emergency]
    right_kind = [item for item in caught if detector.detect(item["text"]).kind == item["kind"]]
    alarms = [item["text"] for item in calm if detector.detect(item["text"]).is_emergency]
    assert len(caught) / len(emergencies) >= 0.94
    assert len(right_kind) / len(caught) >= 0.90
    assert len(alarms) / len(calm) <= 0.02, alarms


def test_no_untrained_dev_message_is_in_the_training_data():
    fold = lambda text: re.sub(r"[\s，。！？,.!?~\[\]()]", "", text)  # noqa: E731
    training = fold("".join(path.read_text(encoding="utf-8") for path in (ROOT / "data" / "nlu").glob("*.yml")))
    texts = [item["text"] for name in ("emergencies.yml", "not_emergencies.yml") for item in _load(name, UNTRAINED)]
    assert [text for text in texts if len(fold(text)) >= 8 and fold(text) in training] == []


@pytest.mark.parametrize(
    "text, kind",
    [
        ("zhao huo le kuai lai", "fire"),
        ("wo ma yundao le", "medical"),
        ("meiqi xielou le", "gas"),
        ("jiu ming a", "general"),
    ],
)
def test_pinyin_typed_without_the_input_method_is_read(detector, text, kind):
    assessment = detector.detect(text)
    assert assessment.is_emergency and assessment.kind == kind


def test_only_runs_of_pinyin_syllables_count_as_pinyin(detector):
    assert is_pinyin("wo ba shuai dao le") and is_pinyin("Zhaohuole!")
    assert not is_pinyin("x7#kQ!9zz") and not is_pinyin("SELECT * FROM t") and not is_pinyin("help")
    assert not detector.detect("ni hao wo xiang wen yi xia", 0.99).is_emergency


@pytest.mark.parametrize(
    "text, reason",
    [
        ("听说隔壁小区有人煤气中毒了", HEARSAY),
        ("新闻里说有个老人掉河里了", HEARSAY),
        ("电梯困人的话应该按哪个键", HYPOTHETICAL),
        ("老人突然晕倒该怎么急救", HYPOTHETICAL),
        ("我妈前两年摔断过腿 现在能申请轮椅吗", PAST),
    ],
)
def test_news_general_advice_and_what_happened_before_are_framed(detector, text, reason):
    assert detector.detect(text).reason == reason


def test_the_same_words_about_ones_own_people_now_alarm(detector):
    assert detector.detect("我妈突然晕倒了 该怎么办").is_emergency
    assert detector.detect("隔壁小区着火了 现在烟飘到我家了 好呛").is_emergency


def test_words_said_for_effect_are_not_harm_to_the_classifier(detector):
    assert not detector.detect("累得我快断气了 楼梯太多", 0.9).is_emergency
    assert not detector.detect("救命钱被骗了怎么追回", 0.9).is_emergency
    assert detector.detect("我妈快断气了", 0.9).is_emergency
