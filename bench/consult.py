"""Answers before forms: service questions phrased as needs, through the whole NLU and the answer.

Each situation of ``bench/situations/service_questions.yml`` is ``{text, entry}``: a resident's
question about a service and the catalogue entry that answers it. Every text is parsed by the
trained model in-process (the routing component included) and then answered as the assistant would:
``consult_service`` by the consultation's retrieval (the whole text and the service entity; only a
confident match is an answer, otherwise the resident is asked which service with numbered options),
``ask_legal`` by the legal guide's first way to help for the topic (one the question names comes first). Figures:

- answered: routed to consult_service / ask_legal and answered with the expected entry (target >= 0.90);
- form or ticket: the intent would start a form (booking, complaint, suggestion, mutual help) or open
  a ticket (emergency, handoff) (target 0);
- hit@1 / hit@3: the expected entry first / among the first three candidates of the routed answer.

``bench/questions/questions.yml`` (``{question, answer, also}``) is scored the same way for comparison.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Awaitable, Callable, Dict, List, Sequence

import yaml

from policy_kb.legal import LegalGuide
from policy_kb.retrieval import BM25KnowledgeBase, KnowledgeBase

BENCH_DIR = Path(__file__).resolve().parent
SITUATIONS = BENCH_DIR / "situations" / "service_questions.yml"
QUESTIONS = BENCH_DIR / "questions" / "questions.yml"
CONSULT, LEGAL = "consult_service", "ask_legal"
FORM_INTENTS = frozenset({"book_service", "file_complaint", "make_suggestion", "post_mutual_help"})
TICKET_INTENTS = frozenset({"report_emergency", "request_human"})

Parse = Callable[[str], Awaitable[Dict[str, Any]]]


@dataclass(frozen=True)
class Situation:
    text: str
    right: frozenset  # the expected entry id, and any other that answers it equally well


def load_situations(path: Path = SITUATIONS) -> List[Situation]:
    """``{text, entry}`` items (the service questions) or ``{question, answer, also}`` (bench/questions)."""
    items = yaml.safe_load(path.read_text(encoding="utf-8")) or []
    return [
        Situation(
            text=item.get("text") or item["question"],
            right=frozenset([item.get("entry") or item["answer"], *(item.get("also") or [])]),
        )
        for item in items
    ]


def _entity(parsed: Dict[str, Any], name: str) -> str | None:
    return next((e.get("value") for e in parsed.get("entities") or [] if e.get("entity") == name), None)


class AnswerReader:
    """Which entries the assistant would answer a parsed message with, as the answering actions do."""

    def __init__(self, knowledge_base: KnowledgeBase) -> None:
        self.knowledge_base = knowledge_base
        self.guide = LegalGuide(knowledge_base.catalogue)

    def answered(self, text: str, parsed: Dict[str, Any]) -> tuple[str | None, List[str]]:
        """(the entry answered outright, or None when the resident is asked which; the candidates in order)."""
        intent = (parsed.get("intent") or {}).get("name")
        if intent == LEGAL:
            topic = self.guide.topic_for(_entity(parsed, "legal_topic"), text)
            routes = [entry.id for entry in self.guide.routes(topic, text)]
            return (routes[0] if routes else None), routes
        answer = self.knowledge_base.search(text, service=_entity(parsed, "service"))
        ranked = [hit.entry.id for hit in answer.hits]
        return (answer.best.id if answer.confident and answer.best else None), ranked


def score(situations: Sequence[Situation], parse: Parse, reader: AnswerReader) -> Dict[str, Any]:
    """Parses every situation with ``parse`` and scores where it goes and what it is answered with."""
    answered = hit1 = hit3 = routed = form_or_ticket = 0
    outcomes: Counter = Counter()
    misses: List[Dict[str, Any]] = []

    async def parse_all() -> List[Dict[str, Any]]:
        return [await parse(situation.text) for situation in situations]

    for situation, parsed in zip(situations, asyncio.run(parse_all()), strict=True):
        intent = (parsed.get("intent") or {}).get("name")
        outcomes[intent] += 1
        if intent in FORM_INTENTS | TICKET_INTENTS:
            form_or_ticket += 1
            misses.append({"text": situation.text, "intent": intent})
            continue
        if intent not in (CONSULT, LEGAL):
            misses.append({"text": situation.text, "intent": intent})
            continue
        routed += 1
        first, ranked = reader.answered(situation.text, parsed)
        answered += first in situation.right
        hit1 += bool(ranked[:1]) and ranked[0] in situation.right
        hit3 += bool(situation.right & set(ranked[:3]))
        if first not in situation.right:
            misses.append({"text": situation.text, "intent": intent, "answered": first, "ranked": ranked[:3]})
    total = len(situations) or 1
    return {
        "situations": len(situations),
        "routed": routed / total,
        "answered": answered / total,
        "hit_at_1": hit1 / total,
        "hit_at_3": hit3 / total,
        "form_or_ticket": form_or_ticket / total,
        "form_or_ticket_count": form_or_ticket,
        "intents": dict(outcomes),
        "misses": misses,
    }


def evaluate(model: Path, situations: Path = SITUATIONS, questions: Path = QUESTIONS) -> Dict[str, Any]:
    """Both files through the trained ``model``; a missing situations file is reported, not fatal."""
    from rasa.core.agent import Agent

    agent = Agent.load(str(model))
    reader = AnswerReader(BM25KnowledgeBase())
    results: Dict[str, Any] = {}
    if situations.exists():
        results["service_questions"] = score(load_situations(situations), agent.parse_message, reader)
    else:
        results["service_questions"] = {"skipped": f"no file {situations}"}
    results["questions"] = score(load_situations(questions), agent.parse_message, reader)
    return results
