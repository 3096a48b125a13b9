"""Answers before forms: which question about a service goes to the catalogue instead of a form.

The intent classifier decides from words it was trained on, before the catalogue is consulted, so a
question about a service (“社区管不管做饭”) could start the complaint form and a strong catalogue match
lose to a weak form intent. Here the two are combined: a message that asks (:mod:`policy_kb.cues`)
without asking for anything to be done, whose best catalogue entry is a confident match, is a
consultation, whatever form intent the classifier chose. A legal problem (拖欠工资、离婚…) whose
best entry is one of its topic's ways to help goes to the legal answer instead. Cancellations,
feedback and small talk are never touched; an emergency only when it names no danger and one entry
clearly answers it. No Rasa imports: the Rasa component
(``bot.rasa_components.consult_routing``) only applies the decision to the message.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Dict, FrozenSet

from policy_kb.cues import read_cues
from policy_kb.emergency import GENERAL as GENERAL_EMERGENCY
from policy_kb.emergency import EmergencyClassifier
from policy_kb.legal import GENERAL_TOPIC, LegalGuide
from policy_kb.retrieval import KnowledgeBase
from policy_kb.schema import ServiceEntry

logger = logging.getLogger(__name__)

CONSULT = "consult_service"
LEGAL = "ask_legal"
# Intents a question about a service is mistaken for: forms, tickets, and the catch-alls.
# Never: cancel_booking, give_feedback, affirm, deny, thank, goodbye, bot_challenge: their own words
# decide them. Ticket status only without words about a ticket (those are requests, policy_kb.cues).
# An emergency only under the conditions of EMERGENCY (below).
REROUTABLE: FrozenSet[str] = frozenset(
    {
        "book_service",
        "file_complaint",
        "make_suggestion",
        "post_mutual_help",
        "browse_mutual_help",
        "request_human",
        "out_of_scope",
        "greet",
        "inform",
        "check_ticket_status",
    }
)
EMERGENCY = "report_emergency"
# A question whose best entry scores this much is about the catalogue even when two or three entries
# are close: the consultation then asks which one with numbered options, which is still no form.
MIN_SCORE = 8.0
# Entries whose service *is* the form of that intent (the complaint form is how a complaint is
# made): a message matching them keeps its intent.
FORM_ENTRIES: Dict[str, FrozenSet[str]] = {
    "file_complaint": frozenset({"property-complaint", "complaint-suggestion", "hazard-report"}),
    "make_suggestion": frozenset({"complaint-suggestion", "resident-consultation"}),
    "post_mutual_help": frozenset({"neighbour-help"}),
    "browse_mutual_help": frozenset({"neighbour-help"}),
}


@dataclass(frozen=True)
class Route:
    """Where a message goes and why; ``entry`` is the catalogue entry that answers it."""

    intent: str
    entry: ServiceEntry
    previous: str


class ConsultationRouter:
    """Decides, from the classifier's intent, the wording and the catalogue, whether to answer first."""

    def __init__(self, knowledge_base: KnowledgeBase, min_score: float = MIN_SCORE) -> None:
        self.knowledge_base = knowledge_base
        self.min_score = min_score
        self._emergencies = EmergencyClassifier()
        self._guide: LegalGuide | None = None

    def _legal_guide(self) -> LegalGuide:
        catalogue = self.knowledge_base.catalogue
        if self._guide is None or self._guide.catalogue is not catalogue:  # first use, or staff reloaded it
            self._guide = LegalGuide(catalogue)
        return self._guide

    def route(self, text: str, intent: str, service: str | None = None) -> Route | None:
        """The new intent for ``text``, or None when the classifier's ``intent`` stands."""
        if intent not in REROUTABLE and intent not in (LEGAL, EMERGENCY):
            return None
        cues = read_cues(text)
        if not cues.is_question:
            return None
        answer = self.knowledge_base.search(text, service=service)
        best = answer.best
        if best is None or not (answer.confident or answer.hits[0].score >= self.min_score):
            return None
        if intent == EMERGENCY and (not answer.confident or self._emergencies.classify(text) != GENERAL_EMERGENCY):
            # Safety first: only a question that names no danger (no fire, fall, violence… words) and that
            # one catalogue entry answers clearly (“缓刑要到哪里报到”) is taken from the emergency path.
            return None
        if best.id in FORM_ENTRIES.get(intent, ()):
            return None
        topic = self._legal_guide().topic_for(None, text)
        is_legal_problem = topic is not GENERAL_TOPIC and best.id in topic.routes
        if intent == LEGAL:
            # The legal answer is topic by topic; a question about one service (法律明白人、社区矫正)
            # with no legal problem in it is better answered by that service's entry.
            return None if is_legal_problem else Route(CONSULT, best, intent)
        new_intent = LEGAL if is_legal_problem else CONSULT
        logger.debug("routed %s to %s (entry %s)", intent, new_intent, best.id)
        return Route(new_intent, best, intent)
