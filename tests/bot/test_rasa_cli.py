"""Rasa's command line as the project runs it: schemas are checked once, answers validated as before."""

from __future__ import annotations

import jsonschema
import pytest
from rasa.core.actions.action import RemoteAction
from rasa.server import EVENTS_SCHEMA

from bot import rasa_cli

ACTION_ANSWER = RemoteAction.action_response_format_spec()


@pytest.mark.parametrize(
    ("schema", "instance"),
    [
        (ACTION_ANSWER, {"events": [{"event": "slot", "name": "address", "value": "北门"}], "responses": [{}]}),
        (ACTION_ANSWER, {"events": [{"event": "slot", "name": "address"}]}),
        (ACTION_ANSWER, {"events": [{"event": "no_such_event"}]}),
        (ACTION_ANSWER, {"events": "not a list"}),
        (ACTION_ANSWER, {"responses": [1]}),
        (EVENTS_SCHEMA, [{"event": "bot", "text": "您的工单已办结"}]),
        (EVENTS_SCHEMA, [{"text": "no event name"}]),
    ],
)
def test_answers_are_judged_exactly_as_jsonschema_does(schema, instance):
    def outcome(validate) -> str:
        try:
            validate(instance, schema)
        except jsonschema.ValidationError as error:
            return str(error)
        return "valid"

    assert jsonschema.validate is rasa_cli.validate_checking_schema_once  # what Rasa's call sites find
    assert outcome(rasa_cli.validate_checking_schema_once) == outcome(rasa_cli._original_validate)


def test_a_schema_is_checked_once_and_a_changed_one_again(monkeypatch):
    checked = []
    validator = jsonschema.validators.validator_for(ACTION_ANSWER)
    monkeypatch.setattr(rasa_cli, "_checked_schemas", set())
    monkeypatch.setattr(validator, "check_schema", classmethod(lambda cls, schema: checked.append(schema)))
    for _ in range(3):
        jsonschema.validate({"events": []}, RemoteAction.action_response_format_spec())
    jsonschema.validate({"events": []}, {**ACTION_ANSWER, "required": ["events"]})
    assert len(checked) == 2


def test_an_invalid_schema_is_still_refused():
    with pytest.raises(jsonschema.SchemaError):
        jsonschema.validate({}, {"type": 12})
