"""A typed number picks the option the bot offered last, on every channel.

Buttons are clickable on the web chat and Telegram, but many residents type "2"
instead, and WeChat has no buttons at all. The options offered last are the
buttons of the latest bot message since the resident's previous message, which
the conversation's tracker holds; so this component (last in the pipeline) reads
them there and, when the message is just a number among them, makes the
message the option's payload. Rasa's RegexMessageHandler, which runs after every
pipeline component, then reads an intent payload ("/inform{...}") as a click
would be read. No channel keeps any state for it.
"""

from __future__ import annotations

import logging
from typing import Any, Dict, List

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.core.events import BotUttered, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message

from text.choices import chosen_number

logger = logging.getLogger(__name__)

# Added to the parse data of a message that picked an option: {"number": 2, "payload": "/affirm"}.
PICKED_OPTION = "picked_option"


def last_offered(tracker: DialogueStateTracker) -> List[str]:
    """The payloads of the latest buttons the bot sent since the resident last wrote."""
    for event in reversed(tracker.events):
        if isinstance(event, UserUttered):
            return []
        if isinstance(event, BotUttered) and event.data.get("buttons"):
            return [str(button.get("payload") or "") for button in event.data["buttons"]]
    return []


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False)
class OptionPicker(GraphComponent):
    """Turns "2" into the payload of the second option offered last, if there was one."""

    @classmethod
    def create(
        cls,
        config: Dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> OptionPicker:
        return cls()

    def process(self, messages: List[Message], tracker: DialogueStateTracker) -> List[Message]:
        for message in messages:
            number = chosen_number(message.get(TEXT) or "")
            if number is None:
                continue
            offered = last_offered(tracker)
            if 1 <= number <= len(offered) and offered[number - 1]:
                payload = offered[number - 1]
                logger.debug("option %s picked: %s", number, payload)
                message.set(TEXT, payload)
                message.set(PICKED_OPTION, {"number": number, "payload": payload}, add_to_output=True)
        return messages
