"""Settings that cannot work together are refused at start, with the variables named."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from bot.settings import Settings


def test_an_alarm_wait_the_turn_would_cut_off_is_refused():
    """The emergency reply waits for the alarm inside one turn; a shorter turn would lose its end."""
    Settings(alert_confirm_seconds=5, turn_timeout_seconds=7, action_timeout_seconds=8)
    Settings(alert_confirm_seconds=1, turn_timeout_seconds=5, action_timeout_seconds=3)
    with pytest.raises(ValidationError, match="ALERT_CONFIRM_SECONDS"):
        Settings(alert_confirm_seconds=6)
    with pytest.raises(ValidationError, match="ACTION_TIMEOUT_SECONDS"):
        Settings(alert_confirm_seconds=2, turn_timeout_seconds=7, action_timeout_seconds=3)
