"""Answers before forms: which question about a service goes to the catalogue instead of a form.

The intent classifier decides from words it was trained on, before the catalogue is consulted, so a
question about a service (“社区管不管做饭”) could start the complaint form and a strong catalogue match
lose to a weak form intent. Here the two are combined: a message that asks (:mod:`policy_kb.cues`)
without asking for anything to be done, whose best catalogue entry is a confident match, is a
consultation, whatever form intent the classifier chose. A legal problem (拖欠工资、离婚…) whose
best entry is one of its topic's ways to help goes to the legal answer instead. Nothing is routed where
the guard's alarm rests on the classifier; a question the classifier took for an emergency that the
detector clears (小孩打疫苗去哪打) is answered. A person asked for is request_human. No Rasa imports: the
Rasa component (``bot.rasa_components.consult_routing``) only applies the decision.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Dict, FrozenSet

from policy_kb.cues import asks_for_person, read_cues
from policy_kb.emergency import detect
from policy_kb.legal import GENERAL_TOPIC, LegalGuide
from policy_kb.retrieval import KnowledgeBase
from policy_kb.schema import ServiceEntry

logger = logging.getLogger(__name__)

CONSULT = "consult_service"
LEGAL = "ask_legal"
HUMAN = "request_human"
# Intents a request for a person is mistaken for: a ticket number or a service named in it (GD… 请工作人员
# 联系我, 让调解员给我打个电话, 家政的事我要找负责人当面说).
PERSON_MISTAKEN_FOR: FrozenSet[str] = frozenset({"check_ticket_status", "cancel_booking", "give_feedback"})
# Intents a question about a service is mistaken for: the forms, and the catch-alls.
FORM_INTENTS: FrozenSet[str] = frozenset(
    {"book_service", "file_complaint", "make_suggestion", "post_mutual_help", "browse_mutual_help"}
)
EMERGENCY = "report_emergency"
# Below this the classifier is unsure of any intent (the fallback's threshold): a strong catalogue match wins.
UNSURE_CONFIDENCE = 0.35
# A greeting or an out-of-scope guess is overruled only by a strong match ("社区医院在哪儿"), not by a
# word or two the catalogue shares with small talk ("有人在线不").
CATCH_ALL_INTENTS: FrozenSet[str] = frozenset({"greet", "out_of_scope"})
# An emergency the detector clears (小孩打疫苗去哪打) is a question like any other: the guard would only have
# answered it with the menu. Intents decided by their own words (ticket status, a person, feedback, yes and
# no…) are left alone unless the classifier is unsure: routing their strong questions too (网格员平时管啥)
# answered 0.699 instead of 0.675 of bench/situations' service questions but cost the independent set's
# intent macro-F1 0.010 (2026-12-07).
CLEARED_INTENTS: FrozenSet[str] = frozenset({EMERGENCY})
STRONG_SCORE = 12.0
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
        self._guide: LegalGuide | None = None

    def _legal_guide(self) -> LegalGuide:
        catalogue = self.knowledge_base.catalogue
        if self._guide is None or self._guide.catalogue is not catalogue:  # first use, or staff reloaded it
            self._guide = LegalGuide(catalogue)
        return self._guide

    def asks_for_person(
        self, text: str, intent: str, confidence: float = 1.0, emergency_probability: float = 0.0
    ) -> bool:
        """Whether a message the classifier gave ``intent`` asks for a person or a role to come, call or take
        over, and is therefore request_human (never an emergency, nor where the alarm rests on the classifier)."""
        if intent in (EMERGENCY, HUMAN) or not (intent in PERSON_MISTAKEN_FOR or confidence < UNSURE_CONFIDENCE):
            return False
        return asks_for_person(text) and not _alarm_rests_on(text, intent, emergency_probability)

    def route(
        self,
        text: str,
        intent: str,
        service: str | None = None,
        details: bool = False,
        confidence: float = 1.0,
        emergency_probability: float | None = None,
    ) -> Route | None:
        """The new intent for ``text``, or None when the classifier's ``intent`` (with ``confidence``) stands.

        ``details``: the message gives an address or a phone number, as a booking or a report does.
        ``emergency_probability``: the classifier's report_emergency probability (its confidence when
        that is the intent, else 0, when not given).
        """
        unsure = confidence < UNSURE_CONFIDENCE
        if intent not in FORM_INTENTS | CATCH_ALL_INTENTS | CLEARED_INTENTS | {LEGAL} and not unsure:
            return None
        cues = read_cues(text)
        if not cues.is_question or details:
            return None
        answer = self.knowledge_base.search(text, service=service)
        best = answer.best
        if best is None or not (answer.confident or answer.hits[0].score >= self.min_score):
            return None
        strong = answer.hits[0].score >= STRONG_SCORE
        if intent in CATCH_ALL_INTENTS | CLEARED_INTENTS and not strong:
            return None
        if unsure and not (strong or (answer.confident and answer.hits[0].score >= self.min_score)):
            return None  # the classifier knows nothing better: a confident answer beats "没听懂"
        if best.id in FORM_ENTRIES.get(intent, ()):
            return None
        if emergency_probability is None:
            emergency_probability = confidence if intent == EMERGENCY else 0.0
        if _alarm_rests_on(text, intent, emergency_probability):
            return None
        topic = self._legal_guide().topic_for(None, text)
        is_legal_problem = topic is not GENERAL_TOPIC and best.id in topic.routes
        if intent == LEGAL:
            # The legal answer is topic by topic; a question about a service with no legal problem in it
            # (法律明白人是干啥的, 房子租出去要不要登记, 被辞退了去哪登记失业) is better answered by that entry.
            # A question with no legal topic or word at all is about its entry when that one is sure.
            plain = topic is GENERAL_TOPIC and answer.confident
            if is_legal_problem or cues.legal or not (strong or plain or _names(text, best, service)):
                return None
            return Route(CONSULT, best, intent)
        new_intent = LEGAL if is_legal_problem else CONSULT
        logger.debug("routed %s to %s (entry %s)", intent, new_intent, best.id)
        return Route(new_intent, best, intent)


def _alarm_rests_on(text: str, intent: str, probability: float) -> bool:
    """Whether routing could silence an alarm: the message is an emergency to the detector, and either
    the classifier said so or the detector needs the classifier's probability to say so (routing lowers it).
    A danger the detector finds in the words alone (煤气味) is alarmed on by the guard whatever the intent."""
    if not detect(text, probability).is_emergency:
        return False
    return intent == EMERGENCY or not detect(text, 0.0).is_emergency


def _names(text: str, entry: ServiceEntry, service: str | None) -> bool:
    """Whether the resident named the entry: its name or an alias written out, or as the service entity."""
    lowered = text.lower()
    named = service is not None and service in (entry.name, *entry.aliases)
    return named or any(word.lower() in lowered for word in (entry.name, *entry.aliases))
