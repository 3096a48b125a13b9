"""Rasa's own command line, without its crash reports.

Rasa sends uncaught exceptions to its Sentry project whatever the telemetry
setting says; this machine must not talk to the internet, and residents'
words must not leave it. Everything else is `rasa` unchanged:
`python -m bot.rasa_cli train ...` is `rasa train ...`.
"""

from __future__ import annotations

import os

os.environ.setdefault("RASA_TELEMETRY_ENABLED", "false")

import rasa.__main__  # noqa: E402  (the setting above must come first)
import rasa.telemetry  # noqa: E402


def _no_error_reporting() -> None:
    """Replaces rasa.telemetry.initialize_error_reporting."""


rasa.telemetry.initialize_error_reporting = _no_error_reporting

if __name__ == "__main__":
    rasa.__main__.main()
