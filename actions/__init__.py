"""Custom actions of 社区通, served by the rasa_sdk action server (``python -m rasa_sdk --actions actions``)."""

from actions.wiring import warm_up_in_background

# The action server imports this package once at start: the knowledge base is ready
# before the first resident asks.
warm_up_in_background()
