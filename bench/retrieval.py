"""Retrieval quality and speed on the labelled question file (bench/questions, never matched against).

Each question is ``{question, answer: entry id, also: [entry ids]}``; a hit at k is when one of the
first k entries is ``answer`` or in ``also``. The real :class:`BM25KnowledgeBase` answers, without
the NLU's service entity, so the figures are of retrieval alone.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any, Dict, List

import yaml

from bench.load import percentile
from policy_kb.retrieval import BM25KnowledgeBase, KnowledgeBase

QUESTIONS = Path(__file__).resolve().parent / "questions" / "questions.yml"


def load_questions(path: Path = QUESTIONS) -> List[Dict[str, Any]]:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def evaluate(kb: KnowledgeBase | None = None, path: Path = QUESTIONS) -> Dict[str, Any]:
    """hit@1, hit@3, wall-clock latency p50/p95 (and CPU p95) and how often a confident answer is wrong
    (the chat answers only confident ones; the others get a clarifying question)."""
    kb = kb or BM25KnowledgeBase()
    questions = load_questions(path)
    unknown = {q["answer"] for q in questions} - set(kb.catalogue.by_id)
    if unknown:
        raise ValueError(f"questions labelled with ids the catalogue does not have: {sorted(unknown)}")
    kb.search("热身")  # the first call pays for lazy set-up inside jieba
    hit1 = hit3 = confident = confident_wrong = 0
    timings: List[float] = []
    cpu_timings: List[float] = []  # without the time other processes had the CPU: the query's own cost
    misses: List[Dict[str, Any]] = []
    for item in questions:
        right = {item["answer"], *(item.get("also") or [])}
        started, cpu_started = time.perf_counter(), time.process_time()
        answer = kb.search(item["question"], limit=3)
        timings.append(time.perf_counter() - started)
        cpu_timings.append(time.process_time() - cpu_started)
        ranked = [hit.entry.id for hit in answer.hits]
        hit1 += bool(ranked[:1] and ranked[0] in right)
        hit3 += bool(right & set(ranked))
        if answer.confident:
            confident += 1
            confident_wrong += ranked[0] not in right
        if not ranked or ranked[0] not in right:
            misses.append({"answer": item["answer"], "ranked": ranked, "confident": answer.confident})
    total = len(questions)
    return {
        "questions": total,
        "hit_at_1": hit1 / total,
        "hit_at_3": hit3 / total,
        "latency_p50_ms": 1000 * percentile(timings, 0.5),
        "latency_p95_ms": 1000 * percentile(timings, 0.95),
        "latency_cpu_p95_ms": 1000 * percentile(cpu_timings, 0.95),
        "confident_share": confident / total,
        "confident_wrong": confident_wrong,
        "misses_at_1": misses,
    }
