"""Promises no story may break: emergencies are answered first; a conversation
handed to staff is not answered by the bot; after a ticket is resolved, the
follow-up's answer is taken as the rating ("回复 1 到 5") or, when it says the
problem is not fixed ("还没修好"), reopens the ticket; and a photo or location a
channel passed on goes to the resident's open complaint.

Rasa's RulePolicy keeps an active form running ahead of every rule, so a
rule alone cannot interrupt a form for an emergency. This policy checks the
conversation's state on every message and, when it applies, outranks the
form (same confidence, higher priority, also a "no user" prediction).

Whether a message is an emergency is not the intent's top-1: policy_kb.emergency
weighs danger situations (also misspelt by sound) and what frames them (past,
hypothetical, worry, a question about fees) with the classifier's report_emergency
probability. So a situation answers with the hotline under any intent or
nlu_fallback, and a worry the classifier took for an emergency is answered with
the menu (which names the hotlines) instead of an urgent ticket and the duty phone.

The first answer to an emergency is a domain response chosen here by the kind
of emergency (fire → 119 …): Rasa sends it itself, so the resident hears the
right hotline even when the action server is down. The action that opens the
urgent ticket comes second.
"""

from __future__ import annotations

from typing import Any, Dict, List

from rasa.core.policies.policy import Policy, PolicyPrediction, confidence_scores_for
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.shared.constants import INTENT_MESSAGE_PREFIX
from rasa.shared.core.constants import ACTION_LISTEN_NAME
from rasa.shared.core.domain import Domain
from rasa.shared.core.generator import TrackerWithCachedStates
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.constants import INTENT_NAME_KEY

from policy_kb.emergency import (
    GENERAL,
    MODEL,
    WEAK_SIGN,
    Assessment,
    default_detector,
    detect,
    emergency_probability,
)
from text.followup import says_not_fixed
from text.rating import extract_rating

EMERGENCY_INTENT = "report_emergency"
HANDOFF_INTENT = "request_human"
FALLBACK_INTENT = "nlu_fallback"
NOT_EMERGENCY_RESPONSE = "utter_menu"  # what a false alarm gets: the menu, which names the hotlines
EMERGENCY_ACTION = "action_handle_emergency"
EMERGENCY_RESPONSE_PREFIX = "utter_emergency_"
HANDOFF_ACTION = "action_request_human"
RELAY_ACTION = "action_relay_to_staff"
HANDOFF_SLOT = "handoff_active"
RATING_SLOT = "rating_ticket"
FEEDBACK_ACTION = "action_record_feedback"
REOPEN_ACTION = "action_reopen_ticket"
ATTACHMENT_METADATA = "attachment"  # a photo or location the channel passed on
ATTACH_ACTION = "action_attach_evidence"


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.POLICY_WITHOUT_END_TO_END_SUPPORT, is_trainable=False)
class GuardPolicy(Policy):
    """Predicts the emergency, handoff and relay actions regardless of forms and rules."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The sound-alike dictionaries take seconds to load: at start, not on a resident's first emergency.
        default_detector().warm_up()

    @staticmethod
    def get_default_config() -> Dict[str, Any]:
        # RulePolicy has priority 6; ties in confidence go to the higher priority.
        return {"priority": 7, "in_form_min_confidence": 0.9}

    def train(self, training_trackers: List[TrackerWithCachedStates], domain: Domain, **kwargs: Any) -> Resource:
        """Nothing to learn: the guard's behaviour is fixed."""
        return self._resource

    def _next_action(self, tracker: DialogueStateTracker) -> str | None:
        latest = tracker.latest_action_name
        if latest in (EMERGENCY_ACTION, RELAY_ACTION, HANDOFF_ACTION, FEEDBACK_ACTION, ATTACH_ACTION, REOPEN_ACTION):
            return ACTION_LISTEN_NAME
        if latest and latest.startswith(EMERGENCY_RESPONSE_PREFIX):
            return EMERGENCY_ACTION
        message = tracker.latest_message
        intent = (message.intent or {}).get(INTENT_NAME_KEY) if message else None
        if latest == NOT_EMERGENCY_RESPONSE and intent == EMERGENCY_INTENT:
            return ACTION_LISTEN_NAME  # after a false alarm was answered with the menu
        if latest != ACTION_LISTEN_NAME:
            return None
        assessment = self._assess(tracker)
        if assessment is not None and assessment.is_emergency:
            return f"{EMERGENCY_RESPONSE_PREFIX}{assessment.kind}"
        if tracker.get_slot(HANDOFF_SLOT):
            return RELAY_ACTION
        if message is not None and (message.metadata or {}).get(ATTACHMENT_METADATA):
            return ATTACH_ACTION
        if tracker.get_slot(RATING_SLOT) and not tracker.active_loop_name and intent != HANDOFF_INTENT:
            text = (message.text if message else "") or ""
            if says_not_fixed(text):  # "还没修好" answers the follow-up too, even with a low rating in it
                return REOPEN_ACTION
            if extract_rating(text) is not None:
                return FEEDBACK_ACTION
        if intent == HANDOFF_INTENT and tracker.active_loop_name:
            return HANDOFF_ACTION
        if intent == EMERGENCY_INTENT and not tracker.active_loop_name:
            # The classifier's top-1 said emergency, the detector says false alarm: keep the rule
            # "emergency first" from paging the duty phone. Inside a form, the form asks again.
            return NOT_EMERGENCY_RESPONSE
        return None

    def _assess(self, tracker: DialogueStateTracker) -> Assessment | None:
        """The detector's view of the resident's message; inside a form, the classifier (alone or
        with a weak sign) needs to be sure, because an answer to the form's question ("匿名", "5号楼") rarely is one."""
        message = tracker.latest_message
        if message is None or not message.text:
            return None
        intent = (message.intent or {}).get(INTENT_NAME_KEY)
        if message.text.startswith(INTENT_MESSAGE_PREFIX) and intent == EMERGENCY_INTENT:
            return Assessment(GENERAL, True, MODEL)  # a button's payload says so itself
        assessment = detect(message.text, emergency_probability(message.parse_data or {}))
        if assessment.reason in (MODEL, WEAK_SIGN) and tracker.active_loop_name:
            probability = emergency_probability(message.parse_data or {})
            if probability < self.config["in_form_min_confidence"]:
                return Assessment(assessment.kind, False, assessment.reason)
        return assessment

    def predict_action_probabilities(
        self,
        tracker: DialogueStateTracker,
        domain: Domain,
        rule_only_data: Dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> PolicyPrediction:
        action = self._next_action(tracker)
        if action is None:
            return self._prediction(self._default_predictions(domain))
        return self._prediction(confidence_scores_for(action, 1.0, domain), is_no_user_prediction=True)
