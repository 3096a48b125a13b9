"""Intent and entity quality on messages never trained on.

Three test sets: bench/heldout (written with the training data, so its wording is close to
it), bench/independent (written by someone who never saw the training data: the honest
estimate of how the model does on residents it has not met) and bench/situations (written
in a separate pass from situations, not intents: elderly, voice-input, dialect and typo
styles; bench/situations/README.md). The gap between the held-out and the situations
figures says how far the held-out one flatters the model.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any, Callable, Dict, List, Set, Tuple

from rasa.core.agent import Agent
from rasa.shared.nlu.training_data.loading import load_data
from sklearn.metrics import accuracy_score, classification_report, confusion_matrix, f1_score

from bench.load import percentile

BENCH_DIR = Path(__file__).resolve().parent
TEST_SETS = {
    "heldout": BENCH_DIR / "heldout",
    "independent": BENCH_DIR / "independent" / "messages.yml",
    "situations": BENCH_DIR / "situations" / "intents.yml",
}
# Issue 20: the held-out macro-F1 may exceed the situations one by at most this much.
GAP_TARGET = 0.02

Span = Tuple[int, int, str]


def _spans(entities: List[dict]) -> Set[Span]:
    return {(e["start"], e["end"], e["entity"]) for e in entities}


def _entity_scores(gold: List[Set[Span]], predicted: List[Set[Span]]) -> Dict[str, float]:
    """Span-level exact scores (the CoNLL way), and overlap scores (a span touching the gold
    one of the same type counts), overall and per entity type."""
    scores = _exact_and_overlap(gold, predicted)
    types = sorted({span[2] for spans in gold + predicted for span in spans})
    scores["per_type"] = {
        entity: _exact_and_overlap(_of_type(gold, entity), _of_type(predicted, entity)) for entity in types
    }
    return scores


def _exact_and_overlap(gold: List[Set[Span]], predicted: List[Set[Span]]) -> Dict[str, Any]:
    return {
        **_prf(gold, predicted, _exact_matches, _exact_matches),
        "overlap": _prf(gold, predicted, _covered, lambda g, p: _covered(p, g)),
    }


def _of_type(spans: List[Set[Span]], entity: str) -> List[Set[Span]]:
    return [{span for span in one if span[2] == entity} for one in spans]


def _exact_matches(gold: Set[Span], predicted: Set[Span]) -> int:
    return len(gold & predicted)


def _overlap(first: Span, second: Span) -> bool:
    """Whether two half-open character spans share at least one character."""
    return first[0] < second[1] and second[0] < first[1]


def _covered(spans: Set[Span], others: Set[Span]) -> int:
    """How many of ``spans`` overlap a span of the same type in ``others``."""
    return sum(any(o[2] == s[2] and _overlap(o, s) for o in others) for s in spans)


Matcher = Callable[[Set[Span], Set[Span]], int]


def _prf(gold: List[Set[Span]], predicted: List[Set[Span]], found: Matcher, right: Matcher) -> Dict[str, float]:
    """``found(g, p)``: gold spans recovered; ``right(g, p)``: predicted spans that are right."""
    pairs = list(zip(gold, predicted, strict=True))
    predicted_total = sum(len(p) for p in predicted)
    gold_total = sum(len(g) for g in gold)
    precision = sum(right(g, p) for g, p in pairs) / predicted_total if predicted_total else 0.0
    recall = sum(found(g, p) for g, p in pairs) / gold_total if gold_total else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": precision, "recall": recall, "f1": f1, "gold_spans": gold_total}


def evaluate(agent: Agent, source: Path = TEST_SETS["heldout"]) -> Dict[str, object]:
    """Parse every message of ``source`` with the trained model and score it."""
    examples = [e for e in load_data(str(source)).training_examples if e.get("text")]
    gold_intents, predicted_intents, gold_spans, predicted_spans, timings = [], [], [], [], []

    async def parse_all() -> None:
        for example in examples:
            started = time.perf_counter()
            parsed = await agent.parse_message(example.get("text"))
            timings.append(time.perf_counter() - started)
            ranking = [r for r in parsed.get("intent_ranking", []) if r["name"] != "nlu_fallback"]
            predicted_intents.append(ranking[0]["name"] if ranking else parsed["intent"]["name"])
            gold_intents.append(example.get("intent"))
            gold_spans.append(_spans(example.get("entities") or []))
            predicted_spans.append(_spans(parsed.get("entities") or []))

    asyncio.run(parse_all())
    report = classification_report(gold_intents, predicted_intents, output_dict=True, zero_division=0)
    per_intent = {
        label: round(values["f1-score"], 4)
        for label, values in report.items()
        if isinstance(values, dict) and label not in ("macro avg", "weighted avg")
    }
    labels = sorted(set(gold_intents) | set(predicted_intents))
    return {
        "messages": len(examples),
        "intent_macro_f1": f1_score(gold_intents, predicted_intents, average="macro"),
        "intent_accuracy": accuracy_score(gold_intents, predicted_intents),
        "per_intent_f1": per_intent,
        "entities": _entity_scores(gold_spans, predicted_spans),
        "parse_p50_ms": 1000 * percentile(timings, 0.50),
        "parse_p95_ms": 1000 * percentile(timings, 0.95),
        "confusions": _top_confusions(gold_intents, predicted_intents),
        "confusion_matrix": {
            "labels": labels,
            "counts": confusion_matrix(gold_intents, predicted_intents, labels=labels).tolist(),
        },
    }


def generalisation_gap(heldout: Dict[str, Any], situations: Dict[str, Any]) -> float:
    """Held-out macro-F1 minus situations macro-F1: how much the set written beside the
    training data overstates the model on messages written differently."""
    return float(heldout["intent_macro_f1"]) - float(situations["intent_macro_f1"])


def _top_confusions(gold: List[str], predicted: List[str], limit: int = 8) -> List[Tuple[str, str, int]]:
    counts: Dict[Tuple[str, str], int] = {}
    for g, p in zip(gold, predicted, strict=True):
        if g != p:
            counts[(g, p)] = counts.get((g, p), 0) + 1
    return [(g, p, n) for (g, p), n in sorted(counts.items(), key=lambda item: -item[1])[:limit]]


def tfidf_baseline() -> Dict[str, object]:
    """The peer a team would pick first: jieba words, TF-IDF, logistic regression
    (scikit-learn), trained on the same data and scored on the same sets."""
    import jieba
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    def intent_examples(source: Path) -> Tuple[List[str], List[str]]:
        examples = [e for e in load_data(str(source)).training_examples if e.get("text") and e.get("intent")]
        return [e.get("text") for e in examples], [e.get("intent") for e in examples]

    texts, intents = intent_examples(BENCH_DIR.parent / "data" / "nlu")
    started = time.perf_counter()
    model = make_pipeline(
        TfidfVectorizer(tokenizer=jieba.lcut, token_pattern=None, ngram_range=(1, 2), sublinear_tf=True),
        LogisticRegression(C=10, max_iter=2000),
    ).fit(texts, intents)
    result: Dict[str, object] = {"training_seconds": time.perf_counter() - started}
    for name, source in TEST_SETS.items():
        gold_texts, gold = intent_examples(source)
        predicted = model.predict(gold_texts)
        latencies = []
        for text in gold_texts:  # one message at a time, as a server would see them
            started = time.perf_counter()
            model.predict([text])
            latencies.append(time.perf_counter() - started)
        result[name] = {
            "intent_macro_f1": f1_score(gold, predicted, average="macro"),
            "intent_accuracy": accuracy_score(gold, predicted),
            "parse_p95_ms": 1000 * percentile(latencies, 0.95),
        }
    return result
