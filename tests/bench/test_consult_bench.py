"""The consult part scores service questions through the trained model and the answering logic."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.__main__ import MODEL, consult_rows
from bench.consult import evaluate, load_situations

FIXTURES = Path(__file__).parent / "fixtures"


def test_both_file_shapes_are_read():
    [first, *_] = load_situations(FIXTURES / "service_questions.yml")
    assert (first.text, first.right) == ("社区医院在哪儿 周末开门不", frozenset({"community-health-centre"}))
    [question] = load_situations(FIXTURES / "questions.yml")
    assert question.right == {"dibao", "hardship-help"}


@pytest.mark.skipif(not MODEL.exists(), reason="needs the trained model (make train)")
def test_a_tiny_fixture_through_the_trained_model():
    results = evaluate(MODEL, FIXTURES / "service_questions.yml", FIXTURES / "questions.yml")
    figures = results["service_questions"]
    assert figures["situations"] == 3
    # The question and the legal problem are answered with their entries; the booking request starts its form.
    assert figures["answered"] == pytest.approx(2 / 3)
    assert figures["form_or_ticket_count"] == 1 and figures["intents"]["book_service"] == 1
    assert [miss["intent"] for miss in figures["misses"]] == ["book_service"]
    assert results["questions"]["answered"] == 1.0
    rows = dict(consult_rows(results))
    assert rows["service questions: form or ticket started (target 0)"] == "0.333 (1 of 3)"


def test_a_missing_situations_file_is_reported_not_fatal():
    rows = consult_rows({"service_questions": {"skipped": "no file x"}})
    assert rows == [("service questions: answered from the catalogue", "no file x")]
