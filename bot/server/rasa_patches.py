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
5. `Agent._create_tracker_store` (patched, private): Rasa wraps every tracker store in
   a FailSafeTrackerStore that hides its errors (a new conversation on a failed read,
   the events kept unredacted in memory on a failed write). For a store that says
   `fails_loudly` (ours, bot/server/tracker_store.py) the wrapper re-raises instead, so
   the turn fails and the channel answers "busy, try again".
6. `RemoteAction.run` (patched): Rasa waits up to 300 s (DEFAULT_REQUEST_TIMEOUT,
   hard-coded) for the action server. Here a call is bounded by the action endpoint's
   `timeout` (endpoints.yml, seconds; default `ACTION_TIMEOUT`), then fails as an
   unreachable action server does.
7. `MessageProcessor._run_action` (patched, private): when an action fails (action
   server down, slow or erroring), Rasa logs it, drops the action's events and goes on
   predicting, so the member hears nothing useful. Here the member gets the busy
   answer of bot/server/channels/busy.py in the reply language (the `language` slot),
   the turn ends listening, and the form stays where it was for the next message.
8. `RulePolicy._get_possible_keys` (patched, private): to find the rules that match the
   conversation, Rasa checks each of its ~500 rule keys against the latest states, twice
   per prediction, several predictions per turn: a fifth of a turn's time. The answer
   depends only on the rules and on the last states, as many as the longest rule has
   (Rasa's own `_is_rule_applicable` accepts any older state), and conversations go
   through the same few states again and again: it is computed once per distinct run
   of states and kept (`POSSIBLE_KEYS_CACHE` of them per policy). A lookup only changes
   in training, by removing a rule or by a new dict: either changes the cache's key.
9. `RulePolicy.predict_action_probabilities` and `DialogueStateTracker.past_states`
   (patched): to predict, RulePolicy turns the whole session into states, one per
   action, though only as many last states as its longest rule has can decide (8).
   While it predicts (never in training, where the rules are checked against whole
   stories), the session's events are still all replayed, as Rasa does, but a state is
   built only for those last ones (`last_states`). What else reads the states agrees:
   with no rule found, the prediction's source is the key of the states, which names a
   rule only when that rule matches them (then the rule is the source). The debug log of
   the states the rules see shows those last states.
Measured with make bench-load: see the README.
"""
from __future__ import annotations

import asyncio
import collections
import contextvars
import functools
import json
import logging
from typing import Any, Callable, Dict, List, Optional, Set, Text, Type

import rasa
from rasa.core.actions.action import ActionExecutionRejection, RemoteAction
from rasa.core.agent import Agent
from rasa.core.lock import TicketLock
from rasa.core.lock_store import RedisLockStore
from rasa.core.policies.policy import PolicyPrediction
from rasa.core.policies.rule_policy import RULES, RULES_FOR_LOOP_UNHAPPY_PATH, RulePolicy
from rasa.core.processor import MessageProcessor
from rasa.core.tracker_store import FailSafeTrackerStore, SQLTrackerStore, TrackerStore
from rasa.shared.constants import DOCS_BASE_URL
from rasa.shared.core.constants import ACTION_LISTEN_NAME
from rasa.shared.core.domain import Domain, State
from rasa.shared.core.events import ActionExecuted, BotUttered, Event
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.exceptions import RasaException
from rasa.shared.utils.common import all_subclasses

from bot.server.channels.busy import busy_text
from bot.shared.languages import LANGUAGE_SLOT

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
    (Agent, "_create_tracker_store"),
    (FailSafeTrackerStore, "on_tracker_store_error"),
    (RemoteAction, "run"),
    (MessageProcessor, "_run_action"),
    (RulePolicy, "_get_possible_keys"),
    (RulePolicy, "_rule_key_to_state"),
    (RulePolicy, "predict_action_probabilities"),
    (DialogueStateTracker, "past_states"),
    (DialogueStateTracker, "applied_events"),
    (DialogueStateTracker, "init_copy"),
    (Domain, "get_active_state"),
    (Domain, "_clean_state"),
)
ACTION_TIMEOUT = 10.0  # seconds, when the action endpoint sets no `timeout`
BUSY_RESPONSE = "utter_service_busy"  # the name the busy answer is logged under

# Rasa's own functions, kept to compare with (tests) and to fall back to.
ORIGINAL_RESOLVE_BY_TYPE: Callable[..., Optional[Type[Event]]] = Event.resolve_by_type
ORIGINAL_VALIDATE_ACTION_RESULT: Callable[..., bool] = RemoteAction._validate_action_result
ORIGINAL_CREATE_TRACKER_STORE: Callable[..., TrackerStore] = Agent._create_tracker_store
ORIGINAL_REMOTE_ACTION_RUN: Callable[..., Any] = RemoteAction.run
ORIGINAL_RUN_ACTION: Callable[..., Any] = MessageProcessor._run_action
ORIGINAL_GET_POSSIBLE_KEYS: Callable[..., Set[Text]] = RulePolicy._get_possible_keys
ORIGINAL_PREDICT_ACTION_PROBABILITIES: Callable[..., PolicyPrediction] = RulePolicy.predict_action_probabilities
ORIGINAL_PAST_STATES: Callable[..., List[State]] = DialogueStateTracker.past_states


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


def _raise(error: Exception) -> None:
    raise error


def create_tracker_store(store: Optional[TrackerStore], domain: Any) -> TrackerStore:
    """Rasa's FailSafeTrackerStore, re-raising the errors of a store that fails loudly."""
    wrapped = ORIGINAL_CREATE_TRACKER_STORE(store, domain)
    if getattr(store, "fails_loudly", False) and isinstance(wrapped, FailSafeTrackerStore):
        wrapped._on_tracker_store_error = _raise
    return wrapped


def action_timeout(action: RemoteAction) -> float:
    endpoint = getattr(action, "action_endpoint", None)
    value = (getattr(endpoint, "kwargs", None) or {}).get("timeout")
    return float(value) if value else ACTION_TIMEOUT


async def remote_action_run(self: RemoteAction, *args: Any, **kwargs: Any) -> List[Event]:
    """Rasa's RemoteAction.run, bounded by the endpoint's `timeout`."""
    timeout = action_timeout(self)
    try:
        return await asyncio.wait_for(ORIGINAL_REMOTE_ACTION_RUN(self, *args, **kwargs), timeout)
    except asyncio.TimeoutError:
        raise RasaException(
            f"Failed to execute custom action '{self.name()}': the action server did not answer within {timeout:.0f} s"
        ) from None


class _Guarded:
    """An action whose failure is recorded instead of raised (rejections still raise:
    they are the form's ordinary "not this one")."""

    def __init__(self, action: Any) -> None:
        self._action = action
        self.error: Optional[Exception] = None

    def __getattr__(self, name: str) -> Any:
        return getattr(self._action, name)

    async def run(self, *args: Any, **kwargs: Any) -> List[Event]:
        try:
            return await self._action.run(*args, **kwargs)
        except ActionExecutionRejection:
            raise
        except Exception as error:  # noqa: BLE001 - answered below
            self.error = error
            return []


async def run_action(self: MessageProcessor, action: Any, tracker: Any, output_channel: Any, nlg: Any,
                     prediction: Any) -> bool:
    """Rasa's _run_action; when the action fails, the busy answer, then listen."""
    guarded = _Guarded(action)
    predict_another = await ORIGINAL_RUN_ACTION(self, guarded, tracker, output_channel, nlg, prediction)
    if guarded.error is None:
        return predict_another
    logger.error("Action '%s' failed (%s): the member gets the busy answer", action.name(),
                 type(guarded.error).__name__)
    text = busy_text(tracker.get_slot(LANGUAGE_SLOT))
    tracker.update(BotUttered(text, metadata={"utter_action": BUSY_RESPONSE}))
    await output_channel.send_response(tracker.sender_id, {"text": text})
    tracker.update(ActionExecuted(ACTION_LISTEN_NAME))
    return False


POSSIBLE_KEYS_CACHE = 4096  # runs of states kept per policy; the oldest go first


def _longest_rule(policy: RulePolicy, lookup: Dict[Text, Text]) -> int:
    """The number of states of the lookup's longest rule, computed once per lookup."""
    known = policy.__dict__.setdefault("_longest_rules", {})
    entry = known.get(id(lookup))
    if entry is None or entry[1] != len(lookup):
        entry = known[id(lookup)] = (lookup, len(lookup), max(map(len, map(policy._rule_key_to_state, lookup)),
                                                              default=0))
    return entry[2]


def get_possible_keys(self: RulePolicy, lookup: Dict[Text, Text], states: List[Dict[Text, Any]]) -> Set[Text]:
    """Rasa's _get_possible_keys, computed once per lookup and run of the last states.

    Entries are keyed by the lookup's id and hold the lookup itself, so that no other
    dict can take that id while they are kept."""
    recent = states[max(0, len(states) - _longest_rule(self, lookup)):]
    cache = self.__dict__.setdefault("_possible_keys", collections.OrderedDict())
    # repr for a value JSON cannot write (a slot's own type): equal values, equal keys.
    key = (id(lookup), len(lookup), json.dumps(recent, sort_keys=True, default=repr))
    found = cache.get(key)
    if found is None:
        found = cache[key] = (lookup, frozenset(ORIGINAL_GET_POSSIBLE_KEYS(self, lookup, recent)))
        if len(cache) > POSSIBLE_KEYS_CACHE:
            cache.popitem(last=False)
    return set(found[1])


# How many last states the tracker's past_states builds; None (Rasa's own: all of them)
# except while RulePolicy predicts.
RECENT_STATES: contextvars.ContextVar[Optional[int]] = contextvars.ContextVar("recent_states", default=None)


def last_states(tracker: DialogueStateTracker, domain: Domain, count: int,
                omit_unset_slots: bool = False) -> List[State]:
    """The last `count` of Rasa's states_for_tracker_history (without its rule-only
    turns option): the state of the tracker before each action and at the end, every
    event replayed, a state built only when it is one of the last."""
    events = tracker.applied_events()
    skipped = sum(isinstance(event, ActionExecuted) for event in events) + 1 - count
    prior = tracker.init_copy()

    def state() -> State:
        return domain._clean_state(domain.get_active_state(prior, omit_unset_slots=omit_unset_slots))

    states: List[State] = []
    for event in events:
        if isinstance(event, ActionExecuted):
            if skipped <= 0:
                states.append(state())
            skipped -= 1
        prior.update(event)
    return states + [state()]


def past_states(self: DialogueStateTracker, domain: Domain, omit_unset_slots: bool = False,
                ignore_rule_only_turns: bool = False, rule_only_data: Optional[Dict[Text, Any]] = None) -> List[State]:
    """Rasa's past_states; only the last ones while RulePolicy predicts."""
    count = RECENT_STATES.get()
    if count is None or ignore_rule_only_turns:
        return ORIGINAL_PAST_STATES(self, domain, omit_unset_slots, ignore_rule_only_turns, rule_only_data)
    return last_states(self, domain, count, omit_unset_slots)


# `self` unannotated and the return type Rasa's: Rasa validates the graph from the
# annotations of this method, and takes an annotated parameter for one a node must pass.
def predict_action_probabilities(self, tracker: DialogueStateTracker, domain: Domain,
                                 rule_only_data: Optional[Dict[Text, Any]] = None,
                                 **kwargs: Any) -> PolicyPrediction:
    """Rasa's prediction, from as many last states as the longest rule has."""
    longest = max(_longest_rule(self, self.lookup.get(RULES, {})),
                  _longest_rule(self, self.lookup.get(RULES_FOR_LOOP_UNHAPPY_PATH, {})), 1)
    token = RECENT_STATES.set(longest)
    try:
        return ORIGINAL_PREDICT_ACTION_PROBABILITIES(self, tracker, domain, rule_only_data, **kwargs)
    finally:
        RECENT_STATES.reset(token)


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
    return (
        Event.resolve_by_type is resolve_by_type
        and RemoteAction._validate_action_result is validate_action_result
        and Agent._create_tracker_store is create_tracker_store
        and RemoteAction.run is remote_action_run
        and MessageProcessor._run_action is run_action
        and RulePolicy._get_possible_keys is get_possible_keys
        and RulePolicy.predict_action_probabilities is predict_action_probabilities
        and DialogueStateTracker.past_states is past_states
    )


def install() -> None:
    """Checks the Rasa version and internals, then patches; idempotent."""
    if installed():
        return
    check_rasa()
    Event.resolve_by_type = staticmethod(resolve_by_type)
    RemoteAction._validate_action_result = validate_action_result
    Agent._create_tracker_store = staticmethod(create_tracker_store)
    RemoteAction.run = remote_action_run
    MessageProcessor._run_action = run_action
    RulePolicy._get_possible_keys = get_possible_keys
    RulePolicy.predict_action_probabilities = predict_action_probabilities
    DialogueStateTracker.past_states = past_states
    logger.info(
        "Rasa %s: cached event classes, compiled action-response schema, loud tracker store errors, "
        "bounded action calls, the busy answer on a failed action, the rules' matches kept and their "
        "last states only installed", rasa.__version__,
    )
