"""Every place our code depends on Rasa 3.6 internals, and the one call that installs
our patches: `install()`, made by `bot/server/__init__.py`, which the Rasa server
imports as soon as it loads any of our plugins (the NLU components of config.yml, the
stores of endpoints.yml, the channels of credentials.yml). It checks the installed Rasa
version and that every internal we rely on is still there, and fails loudly otherwise:
a Rasa upgrade must be a decision, not a silent loss of speed or of redaction.

The internals:
1. `Event.resolve_by_type` (patched): Rasa resolves every stored event to its class by
   walking all Event subclasses recursively, about 70 µs per event, on every event of
   the session, on every turn. Here the walk is done once per type name.
2. `RemoteAction._validate_action_result` (patched, private): Rasa re-checks the
   action-response schema itself with `jsonschema.validate` on every custom action
   call, about 45 ms. Here the validator is compiled once; the errors are the same.
3. `SQLTrackerStore._additional_events` and `SQLTrackerStore.SQLEvent` (subclassed by
   bot/server/tracker_store.py, private): the hook through which the store redacts the
   new events and starts bounded sessions.
4. `RedisLockStore.red` and `TicketLock` (used by bot/server/lock_store.py): the lock
   store redone with Redis transactions, since Rasa's reads, changes and writes back.
Measured with make bench-load: see the README.
"""
from __future__ import annotations

import functools
import logging
from typing import Any, Callable, Dict, Optional, Text, Type

import rasa
from rasa.core.actions.action import RemoteAction
from rasa.core.lock import TicketLock
from rasa.core.lock_store import RedisLockStore
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.constants import DOCS_BASE_URL
from rasa.shared.core.events import Event
from rasa.shared.utils.common import all_subclasses

logger = logging.getLogger(__name__)

SUPPORTED_RASA = "3.6."
# What the Rasa versions we wrote this for had, by owner and attribute name.
REQUIRED_INTERNALS = (
    (Event, "resolve_by_type"),
    (RemoteAction, "_validate_action_result"),
    (RemoteAction, "action_response_format_spec"),
    (SQLTrackerStore, "_additional_events"),
    (SQLTrackerStore, "SQLEvent"),
    (RedisLockStore, "__init__"),
    (TicketLock, "from_dict"),
)

# Rasa's own functions, kept to compare with (tests) and to fall back to.
ORIGINAL_RESOLVE_BY_TYPE: Callable[..., Optional[Type[Event]]] = Event.resolve_by_type
ORIGINAL_VALIDATE_ACTION_RESULT: Callable[..., bool] = RemoteAction._validate_action_result


class UnsupportedRasaVersion(RuntimeError):
    """The installed Rasa is not the one these patches were written and tested for."""


@functools.lru_cache(maxsize=None)
def _class_for(type_name: Text) -> Optional[Type[Event]]:
    return next((cls for cls in all_subclasses(Event) if cls.type_name == type_name), None)


def resolve_by_type(type_name: Text, default: Optional[Type[Event]] = None) -> Optional[Type[Event]]:
    found = _class_for(type_name)
    # Unknown names (and Rasa's "topic" special case) keep Rasa's own behaviour.
    return found if found is not None else ORIGINAL_RESOLVE_BY_TYPE(type_name, default)


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
        error.message += (
            ". Failed to validate Action server response from API, "
            "make sure your response from the Action endpoint is valid. "
            f"For more information about the format visit {DOCS_BASE_URL}/custom-actions"
        )
    raise error


def check_rasa(version: str = rasa.__version__) -> None:
    if not version.startswith(SUPPORTED_RASA):
        raise UnsupportedRasaVersion(
            f"bot/server/rasa_patches.py was written for Rasa {SUPPORTED_RASA}x, found {version}: "
            "re-measure and re-check every internal it lists before upgrading"
        )
    missing = [f"{owner.__name__}.{name}" for owner, name in REQUIRED_INTERNALS if not hasattr(owner, name)]
    if missing:
        raise UnsupportedRasaVersion(f"Rasa {version} lacks internals we rely on: {', '.join(missing)}")


def installed() -> bool:
    return Event.resolve_by_type is resolve_by_type and RemoteAction._validate_action_result is validate_action_result


def install() -> None:
    """Checks the Rasa version and internals, then patches; idempotent."""
    if installed():
        return
    check_rasa()
    Event.resolve_by_type = staticmethod(resolve_by_type)
    RemoteAction._validate_action_result = validate_action_result
    logger.info("Rasa %s: cached event classes and compiled action-response schema installed", rasa.__version__)
