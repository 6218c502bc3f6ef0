"""Two per-turn costs of Rasa 3.6 that do not depend on our bot, removed.

Profiling a turn in-process (make bench-load, then cProfile of Agent.handle_text):
- every event read back from the tracker store is resolved to its class by walking
  all Event subclasses recursively (`Event.resolve_by_type`): about 70 µs per event,
  on every event of the session, on every turn;
- every response of the action server is checked with `jsonschema.validate`, which
  re-checks the schema itself each time: about 45 ms per custom action call.
Here the subclass walk is done once per event type and the schema validator is
compiled once. Behaviour is unchanged: the same classes, the same validation errors.
Imported by bot.tracker_store, which the Rasa server loads from endpoints.yml.
"""
from __future__ import annotations

import functools
from typing import Any, Dict, Optional, Text, Type

from rasa.core.actions.action import RemoteAction
from rasa.shared.core.events import Event
from rasa.shared.utils.common import all_subclasses

_resolve_by_type = Event.resolve_by_type


@functools.lru_cache(maxsize=None)
def _class_for(type_name: Text) -> Optional[Type[Event]]:
    return next((cls for cls in all_subclasses(Event) if cls.type_name == type_name), None)


def resolve_by_type(type_name: Text, default: Optional[Type[Event]] = None) -> Optional[Type[Event]]:
    found = _class_for(type_name)
    # Unknown names (and Rasa's "topic" special case) keep Rasa's own behaviour.
    return found if found is not None else _resolve_by_type(type_name, default)


@functools.lru_cache(maxsize=1)
def _action_response_validator() -> Any:
    from jsonschema.validators import validator_for

    schema = RemoteAction.action_response_format_spec()
    return validator_for(schema)(schema)


def validate_action_result(self: RemoteAction, result: Dict[Text, Any]) -> bool:
    from jsonschema import ValidationError, exceptions

    error = exceptions.best_match(_action_response_validator().iter_errors(result))
    if error is None:
        return True
    if isinstance(error, ValidationError):
        error.message += ". Failed to validate Action server response from API."
    raise error


Event.resolve_by_type = staticmethod(resolve_by_type)
RemoteAction._validate_action_result = validate_action_result
