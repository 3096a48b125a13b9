"""The safety part of `make bench` scores the guard's decision on sets it is given, by index only."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from bench import safety
from bench.__main__ import MODEL, summary

EMERGENCIES = [
    {"text": "楼道里着火了 快来人", "kind": "fire"},
    {"text": "我爸倒在卫生间 叫不醒", "kind": "medical"},
    {"text": "孩子不见了", "kind": "missing"},
    {"text": "你们快过来一趟", "kind": "general"},  # nothing but the classifier could tell
]
NOT_EMERGENCIES = [{"text": "煤气费怎么交"}, {"text": "上周着火的事后来怎么处理的"}, {"text": "x7#kQ!9zz"}]


def write_sets(folder: Path) -> Path:
    folder.mkdir()
    (folder / safety.EMERGENCIES).write_text(yaml.safe_dump(EMERGENCIES, allow_unicode=True), encoding="utf-8")
    (folder / safety.NOT_EMERGENCIES).write_text(yaml.safe_dump(NOT_EMERGENCIES, allow_unicode=True), encoding="utf-8")
    return folder


def classifier_saying(probability: float):
    """A parse result whose report_emergency probability is fixed, as the model's would be."""
    return lambda text: {"intent_ranking": [{"name": "report_emergency", "confidence": probability}]}


def test_misses_and_false_alarms_are_counted_and_listed_by_index(tmp_path):
    results = safety.score(classifier_saying(0.0), write_sets(tmp_path / "situations"))
    assert results["missed_indices"] == [3]
    assert results["recall"] == 0.75 and results["kind_accuracy"] == 1.0
    assert results["false_alarm_indices"] == [] and results["false_alarm_rate"] == 0.0
    rows = dict(safety.summary_rows(results))
    assert rows["emergency recall (target >= 0.99)"] == "0.750 (3 of 4)"
    assert "你们快过来一趟" not in str(rows)


def test_a_sure_classifier_is_heard_where_the_message_says_nothing_against_it(tmp_path):
    results = safety.score(classifier_saying(0.9), write_sets(tmp_path / "situations"))
    assert results["recall"] == 1.0
    assert results["false_alarms"] == 0  # fees, a past fire and noise stay calm


def test_absent_sets_skip_the_part_with_a_clear_line(tmp_path):
    results = safety.evaluate(MODEL, tmp_path)
    assert results["skipped"].startswith("no emergencies.yml, not_emergencies.yml")
    assert "emergency safety  skipped: no emergencies.yml" in summary({"safety": results})


@pytest.mark.skipif(not MODEL.is_file(), reason="needs the trained model")
def test_the_trained_model_is_parsed_in_process(tmp_path):
    results = safety.evaluate(MODEL, write_sets(tmp_path / "situations"))
    assert (results["emergencies"], results["not_emergencies"]) == (4, 3)
    assert results["false_alarms"] == 0
    assert results["caught"] >= 3
