"""A SQL tracker store that never writes identifiers, birth dates or phone numbers.

endpoints.yml:

    tracker_store:
      type: bot.server.tracker_store.RedactingSQLTrackerStore
      dialect: sqlite          # or postgresql, with url, port, username, password
      db: var/trackers.db

Rasa 3.6 builds a custom store as `cls(host=url, domain=..., event_broker=...,
**other keys)` (rasa.core.tracker_store._load_from_module_name_in_endpoint_config),
which is SQLTrackerStore's own signature. If the class cannot be imported Rasa
silently falls back to the in-memory store, so start-up logs should be checked.

Before saving, the new events are rewritten: user message text (and the parse
data: text, entity values) goes through `bot.shared.redaction`; the clear values the
file-status form extracts into its slots are replaced by placeholders. The count of
events is unchanged, which SQLTrackerStore relies on to find the events it has not
stored yet. No event broker is configured: one would receive unredacted events.

`session_events_limit: N` keeps the time per turn flat over endless WhatsApp
threads. Rasa loads and featurises every event of the current session on every
turn, so a thread of hundreds of turns gets slower and slower. Once a session holds
more than N events, the store starts a new session at the end of the turn, carrying
the slots and the active form over, as Rasa's own session start does when a session
expires; only the new session is loaded from then on.
"""
from __future__ import annotations

import itertools
import json
import time
from typing import Any, Callable, Dict, Iterable, Iterator, List, Optional, Tuple

from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.constants import ACTION_LISTEN_NAME, REQUESTED_SLOT
from rasa.shared.core.events import ActionExecuted, ActiveLoop, Event, SessionStarted, SlotSet
from rasa.shared.core.trackers import DialogueStateTracker

from bot.shared.slots import BIRTH_DATE_SLOT, IDENTIFIER_SLOT, LOCKED, UNAVAILABLE, VERIFIED
from bot.shared.identifiers import is_masked
from bot.shared.redaction import PLACEHOLDERS, redact, redact_answer

FORM = "file_status_form"
SENSITIVE_ENTITIES = {"cin": PLACEHOLDERS["cin"], "immatriculation": PLACEHOLDERS["id"], "birth_date": PLACEHOLDERS["date"]}
# What the form's validation leaves in its slots is safe; anything else is what the
# slot mappings extracted from the member's message, before validation.
SAFE_SLOT_VALUES = {IDENTIFIER_SLOT: is_masked, BIRTH_DATE_SLOT: lambda value: value in (VERIFIED, LOCKED, UNAVAILABLE)}
SLOT_PLACEHOLDERS = {IDENTIFIER_SLOT: PLACEHOLDERS["id"], BIRTH_DATE_SLOT: PLACEHOLDERS["date"]}


class RedactingSQLTrackerStore(SQLTrackerStore):
    """SQLTrackerStore that stores redacted events only, in bounded sessions."""

    def __init__(self, *args: Any, session_events_limit: Optional[int] = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.session_events_limit = int(session_events_limit) if session_events_limit else None

    def _additional_events(self, session: Any, tracker: DialogueStateTracker) -> Iterator[Event]:
        new = list(super()._additional_events(session, tracker))
        before = itertools.islice(tracker.events, len(tracker.events) - len(new))
        redacted = redact_events([event.as_dict() for event in new], _form_context(before))
        return iter([Event.from_parameters(data) for data in redacted])

    async def save(self, tracker: DialogueStateTracker) -> None:
        await super().save(tracker)
        if self._session_is_full(tracker):
            self._start_new_session(tracker)

    def _session_is_full(self, tracker: DialogueStateTracker) -> bool:
        last = tracker.events[-1] if tracker.events else None
        if not self.session_events_limit or not (
            isinstance(last, ActionExecuted) and last.action_name == ACTION_LISTEN_NAME
        ):
            return False  # only between turns, never in the middle of one
        in_session = 0
        for event in reversed(tracker.events):
            if isinstance(event, SessionStarted):
                break
            in_session += 1
        return in_session > self.session_events_limit

    def _start_new_session(self, tracker: DialogueStateTracker) -> None:
        now = time.time()
        carried = [SessionStarted(timestamp=now)]
        carried += [
            SlotSet(slot.name, slot.value, timestamp=now)
            for slot in tracker.slots.values()
            if slot.value is not None and slot.value != slot.initial_value
        ]
        if tracker.active_loop_name:
            carried.append(ActiveLoop(tracker.active_loop_name, timestamp=now))
        carried.append(ActionExecuted(ACTION_LISTEN_NAME, timestamp=now))
        with self.session_scope() as session:
            for event, data in zip(carried, redact_events([event.as_dict() for event in carried])):
                session.add(
                    self.SQLEvent(
                        sender_id=tracker.sender_id,
                        type_name=event.type_name,
                        timestamp=now,
                        intent_name=None,
                        action_name=data.get("name"),
                        data=json.dumps(data),
                    )
                )
            session.commit()


def _form_context(events: Iterable[Event]) -> Tuple[Optional[str], Optional[str]]:
    """The active form and its requested slot after `events`."""
    active_loop, requested_slot = None, None
    for event in events:
        if isinstance(event, ActiveLoop):
            active_loop = event.name
        elif isinstance(event, SlotSet) and event.key == REQUESTED_SLOT:
            requested_slot = event.value
        elif isinstance(event, SessionStarted):
            active_loop, requested_slot = None, None
    return active_loop, requested_slot


def redact_events(
    events: List[Dict[str, Any]], context: Tuple[Optional[str], Optional[str]] = (None, None)
) -> List[Dict[str, Any]]:
    """Serialised events with personal data replaced (a new list; input unchanged).

    `context` is the active form and requested slot before the first event."""
    redacted = []
    active_loop, requested_slot = context
    for event in events:
        event = dict(event)
        kind = event.get("event")
        if kind == "active_loop":
            active_loop = event.get("name")
        elif kind == "slot":
            name = event.get("name")
            if name == REQUESTED_SLOT:
                requested_slot = event.get("value")
            elif name in SAFE_SLOT_VALUES:
                event["value"] = _slot_value(name, event.get("value"))
        elif kind == "user":
            # An answer to the form's question is scrubbed of every digit.
            answering = active_loop == FORM and requested_slot in SAFE_SLOT_VALUES
            scrub = redact_answer if answering else redact
            if event.get("text"):
                event["text"] = scrub(event["text"])
            event["parse_data"] = _redact_parse_data(event.get("parse_data") or {}, scrub)
        redacted.append(event)
    return redacted


def _slot_value(name: str, value: Any) -> Any:
    if value is None or (isinstance(value, str) and SAFE_SLOT_VALUES[name](value)):
        return value
    return SLOT_PLACEHOLDERS[name]


def _redact_parse_data(parse_data: Dict[str, Any], scrub: Callable[[str], str]) -> Dict[str, Any]:
    parse_data = _deep_redact(parse_data, scrub)
    for entity in parse_data.get("entities") or []:
        if isinstance(entity, dict) and entity.get("entity") in SENSITIVE_ENTITIES:
            entity["value"] = SENSITIVE_ENTITIES[entity["entity"]]
    return parse_data


def _deep_redact(value: Any, scrub: Callable[[str], str]) -> Any:
    if isinstance(value, str):
        return scrub(value)
    if isinstance(value, dict):
        return {key: _deep_redact(item, scrub) for key, item in value.items()}
    if isinstance(value, list):
        return [_deep_redact(item, scrub) for item in value]
    return value
