"""bench/cais.py's scoring, on hand-made spans: it must be the paper's (conlleval) metric.

CM-Net's slot F1 is conlleval over character BIOES tags: a chunk counts only if its start,
end and type all match, and precision and recall are pooled over the whole split. The
bench scores Rasa's character-offset entities as (start, end, type) spans instead; these
tests check that both give the same figures, and that the error breakdown sorts each
wrong span into the right kind. Nothing here trains a model.
"""

from __future__ import annotations

import inspect
import os
from pathlib import Path
from typing import List, Set, Tuple

import pytest

from bench.cais import CACHE_SIZE_ENV, score, span_errors, summary, without_training_cache
from bench.nlu import Span, _entity_scores, _spans

SONG, SINGER, TYPE = "song_name", "singer_name", "song_type"


def entity(start: int, end: int, name: str) -> dict:
    return {"start": start, "end": end, "entity": name, "value": "x" * (end - start)}


# -- a small conlleval (conlleval.pl's startOfChunk / endOfChunk for B, I, E, S, O tags) --


def bioes(length: int, spans: Set[Span]) -> List[str]:
    """The character tags CAIS is distributed in."""
    tags = ["O"] * length
    for start, end, name in spans:
        if end - start == 1:
            tags[start] = f"S-{name}"
        else:
            tags[start:end] = [f"B-{name}", *[f"I-{name}"] * (end - start - 2), f"E-{name}"]
    return tags


def _split(tag: str) -> Tuple[str, str]:
    return (tag, "") if tag == "O" else tuple(tag.split("-", 1))  # type: ignore[return-value]


def _ends(previous: str, tag: str, previous_type: str, type_: str) -> bool:
    return (
        previous in ("E", "S")
        or (previous in ("B", "I") and tag in ("B", "S", "O"))
        or (previous != "O" and previous_type != type_)
    )


def _starts(previous: str, tag: str, previous_type: str, type_: str) -> bool:
    return (
        tag in ("B", "S")
        or (previous in ("E", "S", "O") and tag in ("I", "E"))
        or (tag != "O" and previous_type != type_)
    )


def conlleval_chunks(tags: List[str]) -> Set[Span]:
    chunks: Set[Span] = set()
    previous, previous_type, start = "O", "", None
    for position, raw in enumerate([*tags, "O"]):
        tag, type_ = _split(raw)
        if start is not None and _ends(previous, tag, previous_type, type_):
            chunks.add((start, position, previous_type))
            start = None
        if _starts(previous, tag, previous_type, type_):
            start = position
        previous, previous_type = tag, type_
    return chunks


def conlleval_f1(gold: List[Set[Span]], predicted: List[Set[Span]], lengths: List[int]) -> Tuple[float, float, float]:
    correct = found = guessed = 0
    for g, p, length in zip(gold, predicted, lengths, strict=True):
        gold_chunks, guessed_chunks = conlleval_chunks(bioes(length, g)), conlleval_chunks(bioes(length, p))
        correct += len(gold_chunks & guessed_chunks)
        found += len(gold_chunks)
        guessed += len(guessed_chunks)
    precision, recall = correct / guessed, correct / found
    return precision, recall, 2 * precision * recall / (precision + recall)


# -- the tests --


def test_spans_are_character_offsets_and_type():
    entities = [entity(3, 6, SINGER), {**entity(7, 9, SONG), "extractor": "DIETClassifier", "confidence_entity": 0.9}]
    assert _spans(entities) == {(3, 6, SINGER), (7, 9, SONG)}


def test_a_span_counts_only_with_exact_edges_and_type():
    gold = [{(0, 3, SONG), (5, 7, SINGER)}]
    predicted = [{(0, 3, SONG), (5, 8, SINGER), (9, 10, TYPE)}]
    scores = _entity_scores(gold, predicted)
    assert scores["precision"] == pytest.approx(1 / 3)
    assert scores["recall"] == pytest.approx(1 / 2)
    assert scores["f1"] == pytest.approx(0.4)
    assert scores["per_type"][SINGER]["f1"] == 0.0
    assert scores["per_type"][SONG]["f1"] == 1.0
    spurious_only = scores["per_type"][TYPE]
    assert (spurious_only["precision"], spurious_only["recall"], spurious_only["gold_spans"]) == (0.0, 0.0, 0)
    # The touching-but-wrong span still counts in the looser overlap score.
    assert scores["overlap"]["recall"] == 1.0


def test_spans_are_pooled_over_the_split_not_averaged_per_utterance():
    gold = [{(0, 2, SONG)}, {(0, 2, SONG), (3, 5, SINGER), (6, 8, TYPE)}]
    predicted = [set(), {(0, 2, SONG), (3, 5, SINGER), (6, 8, TYPE)}]
    scores = _entity_scores(gold, predicted)
    assert scores["precision"] == 1.0
    assert scores["recall"] == pytest.approx(3 / 4)


def test_the_scores_are_conllevals_over_character_tags():
    lengths = [10, 8, 6, 12]
    gold = [
        {(2, 5, SONG), (6, 8, SINGER)},
        {(0, 1, TYPE), (1, 4, SONG)},
        {(2, 6, SONG)},
        {(0, 3, SINGER), (4, 7, SONG), (8, 12, SONG)},
    ]
    predicted = [
        {(2, 5, SONG), (6, 8, SONG)},  # wrong type
        {(0, 4, SONG)},  # one span over two
        {(2, 6, SONG)},
        {(0, 3, SINGER), (4, 6, SONG), (11, 12, TYPE)},  # too short, spurious
    ]
    assert all(conlleval_chunks(bioes(n, spans)) == spans for n, spans in zip(lengths, gold + predicted, strict=False))
    scores = _entity_scores(gold, predicted)
    precision, recall, f1 = conlleval_f1(gold, predicted, lengths)
    assert (scores["precision"], scores["recall"], scores["f1"]) == pytest.approx((precision, recall, f1))
    assert (precision, recall) == pytest.approx((3 / 7, 3 / 8))


@pytest.mark.parametrize(
    ("predicted", "kind"),
    [
        ({(2, 5, SINGER)}, "wrong_type"),
        ({(1, 5, SONG)}, "too_long"),
        ({(2, 4, SONG)}, "too_short"),
        ({(3, 6, SONG)}, "shifted"),
        ({(3, 6, SINGER)}, "wrong_edges_and_type"),
        (set(), "missed"),
    ],
)
def test_each_missed_span_gets_its_kind(predicted, kind):
    errors = span_errors([{(2, 5, SONG)}], [predicted])
    assert errors["total"] == {kind: 1}
    assert errors["per_type"] == {SONG: {kind: 1}}


def test_only_a_prediction_touching_no_gold_span_is_spurious():
    errors = span_errors([{(2, 5, SONG)}, set()], [{(2, 5, SONG), (6, 8, TYPE)}, {(0, 2, SINGER)}])
    assert errors["total"] == {"spurious": 2}
    assert errors["per_type"] == {SINGER: {"spurious": 1}, TYPE: {"spurious": 1}}
    # A wrong span that overlaps a gold one is counted once, as that gold span's error.
    assert span_errors([{(2, 5, SONG)}], [{(1, 5, SONG)}])["total"] == {"too_long": 1}


def row(
    intent: str, predicted_intent: str, spans: Set[Span], predicted_spans: Set[Span], fallback: bool = False
) -> dict:
    return {
        "text": "x" * 10,
        "intent": intent,
        "predicted_intent": predicted_intent,
        "fallback": fallback,
        "spans": spans,
        "predicted_spans": predicted_spans,
    }


def test_score_reports_intents_slots_and_whole_utterances():
    rows = [
        row("PlayMusic", "PlayMusic", {(0, 3, SONG)}, {(0, 3, SONG)}),
        row("PlayMusic", "PlayMusic", {(0, 3, SINGER)}, {(0, 4, SINGER)}),
        row("GetWeather", "PlayMusic", set(), set()),
        row("GetWeather", "GetWeather", set(), {(1, 2, TYPE)}, fallback=True),
    ]
    result = score(rows)
    assert result["intent_accuracy"] == 0.75
    # The fallback's top intent counts as the answer; beside it, the accuracy with the fallback wrong.
    assert (result["fallback_rate"], result["intent_accuracy_fallback_wrong"]) == (0.25, 0.5)
    # PlayMusic: P 2/3, R 1 -> 0.8; GetWeather: P 1, R 1/2 -> 2/3.
    assert result["intent_macro_f1"] == pytest.approx((0.8 + 2 / 3) / 2)
    assert result["intent_confusions"] == [("GetWeather", "PlayMusic", 1)]
    assert (result["slots"]["precision"], result["slots"]["recall"]) == pytest.approx((1 / 3, 1 / 2))
    assert result["slot_errors"]["total"] == {"too_long": 1, "spurious": 1}
    assert result["sentences_all_slots_right"] == 0.5

    text = summary({**result, "split": "dev", "config": "c.yml", "parse_ms_per_utterance": 1.0})
    assert "intent accuracy 75.00" in text
    assert "nlu_fallback on 25.00 % of utterances; with each counted wrong, intent accuracy 50.00" in text
    assert "slot P / R / F1 (exact spans) 33.33 / 50.00 / 40.00" in text


def test_training_is_timed_without_rasas_cache(monkeypatch, tmp_path):
    from rasa.engine.caching import CACHE_LOCATION_ENV, LocalTrainingCache
    from rasa.engine.caching import CACHE_SIZE_ENV as RASAS

    assert CACHE_SIZE_ENV == RASAS
    monkeypatch.setenv(CACHE_LOCATION_ENV, str(tmp_path))
    monkeypatch.setenv(CACHE_SIZE_ENV, "500")
    with without_training_cache():
        assert LocalTrainingCache()._is_disabled()
    assert os.environ[CACHE_SIZE_ENV] == "500"
    monkeypatch.delenv(CACHE_SIZE_ENV)
    with without_training_cache():
        assert os.environ[CACHE_SIZE_ENV] == "0"
    assert CACHE_SIZE_ENV not in os.environ


def test_the_benchmark_scores_the_pipeline_that_serves_residents():
    """Issue 20: CAIS goes through config.yml itself, not a configuration of its own."""
    from bench import cais

    root = Path(cais.__file__).resolve().parent.parent
    for function in (cais.run, cais.run_in_subprocess):
        assert inspect.signature(function).parameters["config"].default == root / "config.yml"
    assert not list((root / "bench").glob("*.yml")), "no separate CAIS configuration"
