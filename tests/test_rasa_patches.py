"""bot/rasa_speedups.py changes how fast, not what: same classes, same validation."""
import pytest
from jsonschema import ValidationError
from rasa.core.actions.action import RemoteAction
from rasa.shared.core.events import Event
from rasa.shared.utils.common import all_subclasses

import bot.rasa_speedups as speedups


@pytest.mark.parametrize("cls", sorted(all_subclasses(Event), key=lambda c: c.__name__))
def test_every_event_type_resolves_to_the_class_rasa_finds(cls):
    expected = next(c for c in all_subclasses(Event) if c.type_name == cls.type_name)
    assert Event.resolve_by_type(cls.type_name) is expected


def test_unknown_event_types_keep_rasas_behaviour():
    with pytest.raises(ValueError):
        Event.resolve_by_type("no_such_event")
    assert Event.resolve_by_type("no_such_event", default=Event) is Event
    assert Event.resolve_by_type("topic") is None


def test_action_server_responses_are_validated_against_the_same_schema():
    action = RemoteAction("action_x", None)
    assert speedups.validate_action_result(action, {"events": [{"event": "slot", "name": "a", "value": 1}], "responses": []})
    with pytest.raises(ValidationError):
        action._validate_action_result({"events": "not a list"})
