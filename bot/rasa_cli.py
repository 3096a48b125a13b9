"""Rasa's own command line, without its crash reports and without re-checking JSON schemas.

Rasa sends uncaught exceptions to its Sentry project whatever the telemetry
setting says; this machine must not talk to the internet, and residents'
words must not leave it. Everything else is `rasa` unchanged:
`python -m bot.rasa_cli train ...` is `rasa train ...`.

Rasa validates every answer of the action server (and every event posted to
``/conversations/{id}/tracker/events``) with ``jsonschema.validate``, which first
checks the *schema* against its meta-schema: about 18 ms of CPU per action call
on this machine, 40% of the Rasa server's time in a turn. The replacement below
checks each schema once per process and then validates exactly as before (same
errors, same messages): under a millisecond.

``run`` without ``--auth-token`` takes Rasa's API token from the settings (RASA_API_TOKEN, else
the token file, see :func:`bot.settings.rasa_api_token`): the HTTP API is never open, and the
token reaches Rasa without showing on the command line, which every user of the machine can
read in ``ps``.
"""

from __future__ import annotations

import json
import os
import sys
import threading
from typing import Any

os.environ.setdefault("RASA_TELEMETRY_ENABLED", "false")

import jsonschema  # noqa: E402
import jsonschema.exceptions  # noqa: E402
import jsonschema.validators  # noqa: E402
import rasa.__main__  # noqa: E402  (the setting above must come first)
import rasa.telemetry  # noqa: E402

from bot import log_redaction  # noqa: E402

_checked_schemas: set[tuple[type, str]] = set()
_checked_lock = threading.Lock()
_original_validate = jsonschema.validate


def _no_error_reporting() -> None:
    """Replaces rasa.telemetry.initialize_error_reporting."""


def validate_checking_schema_once(instance: Any, schema: Any, cls: Any = None, *args: Any, **kwargs: Any) -> None:
    """``jsonschema.validate`` that checks a schema against its meta-schema only the first time it sees it.

    Schemas are recognised by content, so one changed at run time is checked again.
    """
    try:
        key = json.dumps(schema, sort_keys=True)
    except (TypeError, ValueError):  # not plain JSON: leave it to jsonschema
        return _original_validate(instance, schema, cls, *args, **kwargs)
    if cls is None:
        cls = jsonschema.validators.validator_for(schema)
    if (cls, key) not in _checked_schemas:
        cls.check_schema(schema)
        with _checked_lock:
            _checked_schemas.add((cls, key))
    error = jsonschema.exceptions.best_match(cls(schema, *args, **kwargs).iter_errors(instance))
    if error is not None:
        raise error


def with_auth_token(argv: list[str]) -> list[str]:
    """``argv`` of ``rasa run`` with ``--auth-token`` from the settings added when not given."""
    if argv[1:2] != ["run"] or argv[2:3] == ["actions"] or "--auth-token" in argv:
        return argv
    from bot.settings import get_settings, rasa_api_token

    return [*argv, "--auth-token", rasa_api_token(get_settings())]


rasa.telemetry.initialize_error_reporting = _no_error_reporting
# Rasa's call sites look the function up on the package at call time (`from jsonschema import validate`).
jsonschema.validate = validate_checking_schema_once
# Residents' words reach Rasa's own log lines (and Sanic's workers are forks of this process).
log_redaction.install()

if __name__ == "__main__":
    sys.argv = with_auth_token(sys.argv)
    rasa.__main__.main()
