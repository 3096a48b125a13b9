"""The situations set is scored like the other two and set against the held-out figure.

The parses come from a scripted stand-in for the Rasa agent, so the expected figures can be
worked out by hand from tests/bench/fixtures/situations_tiny.yml; what is under test is the
scoring, the gap and the summary, not a model. Nothing here trains or loads a model.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Dict, List

import pytest

from bench.__main__ import summary
from bench.nlu import GAP_TARGET, TEST_SETS, evaluate, generalisation_gap

FIXTURE = Path(__file__).resolve().parent / "fixtures" / "situations_tiny.yml"


def entity(start: int, end: int, name: str) -> Dict[str, Any]:
    return {"start": start, "end": end, "entity": name}


# text -> (intent ranking, entities) as a model might answer.
PARSES = {
    # Right intent; the service exact, the time cut short (overlaps, not exact).
    "帮我约个上门理发 明天下午": (["book_service"], [entity(4, 8, "service"), entity(9, 11, "date_time")]),
    # Wrong intent, right entity.
    "给俺娘订助餐": (["consult_service"], [entity(4, 6, "service")]),
    # Right intent, the address missed.
    "3栋门口垃圾没人收": (["file_complaint"], []),
    # The fallback ranked first is skipped, as the bench does.
    "侬好呀": (["nlu_fallback", "greet"], []),
}


class ScriptedAgent:
    """Answers `parse_message` from PARSES, in the shape Rasa's Agent returns."""

    async def parse_message(self, text: str) -> Dict[str, Any]:
        ranking: List[str] = PARSES[text][0]
        return {
            "intent": {"name": ranking[0], "confidence": 0.9},
            "intent_ranking": [{"name": name, "confidence": 0.9} for name in ranking],
            "entities": PARSES[text][1],
        }


@pytest.fixture(scope="module")
def scored() -> Dict[str, Any]:
    return evaluate(ScriptedAgent(), FIXTURE)  # type: ignore[arg-type]


def test_the_situations_set_is_a_test_set_of_the_nlu_part():
    assert TEST_SETS["situations"].name == "intents.yml"
    assert TEST_SETS["situations"].parent.name == "situations"
    assert TEST_SETS["situations"].is_file()


def test_intents_are_scored_per_message(scored):
    # book_service F1 2/3, consult_service 0, file_complaint 1, greet 1.
    assert scored["messages"] == 4
    assert scored["intent_accuracy"] == pytest.approx(0.75)
    assert scored["intent_macro_f1"] == pytest.approx((2 / 3 + 0 + 1 + 1) / 4)
    assert scored["confusions"] == [("book_service", "consult_service", 1)]


def test_entities_are_scored_exact_and_overlapping(scored):
    entities = scored["entities"]
    # 4 gold spans, 3 predicted: 2 exact; 3 overlapping, all 3 predictions touch a gold span.
    assert (entities["precision"], entities["recall"]) == pytest.approx((2 / 3, 2 / 4))
    assert entities["overlap"]["recall"] == pytest.approx(3 / 4)
    assert entities["overlap"]["precision"] == pytest.approx(1.0)
    assert entities["per_type"]["address"]["recall"] == 0.0


def test_the_gap_is_held_out_minus_situations(scored):
    assert generalisation_gap({"intent_macro_f1": 0.96}, scored) == pytest.approx(0.96 - 2.6667 / 4, abs=1e-4)
    assert GAP_TARGET == 0.02


def test_the_summary_prints_the_situations_set_and_the_gap(scored):
    heldout = {**scored, "intent_macro_f1": 0.96}
    baseline = {"heldout": scored, "independent": scored, "situations": scored, "training_seconds": 5.0}
    nlu = {**heldout, "independent": scored, "situations": scored, "tfidf_baseline": baseline}
    nlu["situations_gap"] = generalisation_gap(heldout, scored)
    lines = summary({"nlu": nlu}).splitlines()
    row = {line.split("  ")[1].strip(): line.split()[-1] for line in lines[1:] if line.startswith("  ")}
    assert row["intent macro-F1 (situations set, never seen)"] == "0.667"
    assert row["intent accuracy (situations set)"] == "0.750"
    assert next(line for line in lines if "entity F1 exact / overlap (situations set)" in line).endswith(
        "0.571 / 0.857"
    )
    assert row["gap: held-out - situations macro-F1 (target <= 0.02)"] == "+0.293"
    peers = lines[lines.index("  NLU peers on the situations set: macro-F1 / accuracy") + 1 :]
    assert [line.split()[-3:] for line in peers] == [["0.667", "/", "0.750"]] * 2


def test_results_from_before_the_situations_set_still_summarise(scored):
    baseline = {"heldout": scored, "independent": scored, "training_seconds": 5.0}
    nlu = {**scored, "independent": scored, "tfidf_baseline": baseline}
    assert "situations" not in summary({"nlu": nlu})
