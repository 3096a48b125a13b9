"""Custom actions of 社区通, served by the rasa_sdk action server (``python -m rasa_sdk --actions actions``)."""

from actions.wiring import warm_up_in_background
from bot import log_redaction

# The action server's log lines (rasa_sdk's and ours) carry no resident's phone or name.
log_redaction.install()

# The action server imports this package once at start: the knowledge base is ready
# before the first resident asks.
warm_up_in_background()
