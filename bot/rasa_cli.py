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

Two guards for residents and clients (installed by ``run``, from the settings): an action call
gives up after ``ACTION_TIMEOUT_SECONDS`` (Rasa's default is 300 s) and a failed call tells the
resident so, with the duty phone; ``POST /model/parse`` answers 400 to a body it cannot parse
(Rasa answered 500) and to an empty or over-long text (which crashed or froze the NLU).
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import sys
import threading
from http import HTTPStatus
from typing import Any, List

os.environ.setdefault("RASA_TELEMETRY_ENABLED", "false")

import jsonschema  # noqa: E402
import jsonschema.exceptions  # noqa: E402
import jsonschema.validators  # noqa: E402
import rasa.__main__  # noqa: E402  (the setting above must come first)
import rasa.core.actions.action  # noqa: E402
import rasa.server  # noqa: E402
import rasa.telemetry  # noqa: E402
from rasa.core.actions.action import ActionExecutionRejection, RemoteAction  # noqa: E402
from rasa.shared.exceptions import RasaException  # noqa: E402
from sanic import Sanic, response  # noqa: E402
from sanic.request import Request  # noqa: E402
from sanic.response import HTTPResponse  # noqa: E402

from bot.channels import replies  # noqa: E402
from bot.settings import Settings, get_settings, rasa_api_token  # noqa: E402

logger = logging.getLogger(__name__)

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
    given = any(arg == "--auth-token" or arg.startswith("--auth-token=") for arg in argv)
    if argv[1:2] != ["run"] or argv[2:3] == ["actions"] or given:
        return argv
    # One argument with "=": a random token may start with "-", which argparse would take for an option.
    return [*argv, f"--auth-token={rasa_api_token(get_settings())}"]


_original_remote_run = RemoteAction.run
_original_create_app = rasa.server.create_app
_APOLOGISED = "_shequtong_apologised"  # set on a turn's output channel once it has said sorry


def apologising_remote_run(duty_phone: str) -> Any:
    """``RemoteAction.run`` that tells the resident when the action server failed or was too slow.

    Rasa then goes on as before (the action's events are lost, the turn continues); the
    apology goes straight to the output channel, once a turn.
    """

    async def run(self: RemoteAction, output_channel: Any, nlg: Any, tracker: Any, domain: Any) -> List[Any]:
        try:
            return await _original_remote_run(self, output_channel, nlg, tracker, domain)
        except ActionExecutionRejection:
            raise
        except (asyncio.TimeoutError, RasaException) as exc:
            logger.error("action %s failed (%s): the resident is told", self.name(), exc.__class__.__name__)
            if not getattr(output_channel, _APOLOGISED, False):
                setattr(output_channel, _APOLOGISED, True)
                text = replies.ACTION_FAILED.format(duty_phone=duty_phone)
                await output_channel.send_response(tracker.sender_id, {"text": text})
            raise

    return run


def parse_request_problem(body: bytes, max_chars: int) -> str | None:
    """Why a ``/model/parse`` body cannot be parsed, or None when it can."""
    try:
        data = json.loads(body or b"")
    except ValueError:
        return 'the body must be JSON: {"text": "..."}'
    if not isinstance(data, dict):
        return 'the body must be a JSON object: {"text": "..."}'
    text = data.get("text")
    if not isinstance(text, str):
        return '"text" must be a string'
    if not text.strip():
        return '"text" must not be empty'
    if len(text) > max_chars:
        return f'"text" must be at most {max_chars} characters'
    return None


def refusing_malformed_parse(max_chars: int) -> Any:
    async def check(request: Request) -> HTTPResponse | None:
        if request.method != "POST" or request.path.rstrip("/") != "/model/parse" or "emulation_mode" in request.args:
            return None
        problem = parse_request_problem(request.body, max_chars)
        if problem is None:
            return None
        return response.json(
            {
                "version": rasa.__version__,
                "status": "failure",
                "message": problem,
                "reason": "BadRequest",
                "details": {},
                "help": None,
                "code": HTTPStatus.BAD_REQUEST,
            },
            status=HTTPStatus.BAD_REQUEST,
        )

    return check


def install_guards(settings: Settings) -> None:
    """The action timeout, the apology for a failed action and the /model/parse check."""
    rasa.core.actions.action.DEFAULT_REQUEST_TIMEOUT = settings.action_timeout_seconds
    RemoteAction.run = apologising_remote_run(settings.duty_phone)  # type: ignore[method-assign]
    check = refusing_malformed_parse(settings.max_message_chars)

    def create_app(*args: Any, **kwargs: Any) -> Sanic:
        app = _original_create_app(*args, **kwargs)
        app.register_middleware(check, "request")
        return app

    rasa.server.create_app = create_app


rasa.telemetry.initialize_error_reporting = _no_error_reporting
# Rasa's call sites look the function up on the package at call time (`from jsonschema import validate`).
jsonschema.validate = validate_checking_schema_once
# Residents' words reach Rasa's own log lines (and Sanic's workers are forks of this process).
log_redaction.install()

if __name__ == "__main__":
    sys.argv = with_auth_token(sys.argv)
    install_guards(get_settings())
    rasa.__main__.main()
