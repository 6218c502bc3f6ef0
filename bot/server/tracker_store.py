"""A SQL tracker store that never writes identifiers, birth dates or phone numbers.

endpoints.yml:

    tracker_store:
      type: bot.server.tracker_store.RedactingSQLTrackerStore
      dialect: sqlite          # or postgresql, with url, port, username, password
      db: var/trackers.db

Rasa 3.6 builds a custom store as `cls(host=url, domain=..., event_broker=...,
**other keys)` (rasa.core.tracker_store._load_from_module_name_in_endpoint_config),
which is SQLTrackerStore's own signature. If the class cannot be imported Rasa
silently falls back to the in-memory store: the readiness endpoint (/health/ready,
bot/server/health.py) answers 503 when the store in use is not this one.

It fails loudly. Rasa wraps every store in a FailSafeTrackerStore that, on an error,
starts a new conversation (retrieve) or keeps the events unredacted in memory (save);
this store says `fails_loudly`, and bot/server/rasa_patches.py makes the wrapper
re-raise for it, so a turn that cannot read or write its conversation fails, and the
channel answers "the service is busy, try again" instead. Every database call runs in
a worker thread (never on the event loop) and is bounded by `call_timeout` seconds
(TrackerStoreUnavailable after that), so a hung PostgreSQL costs each conversation its
own timeout and freezes nothing. The tables are created at start, and, if the database
was down then (PostgreSQL coming up after Rasa), again before the first call that
reaches it. With PostgreSQL, `query: {connect_timeout: 3, options: "-c
statement_timeout=5000"}` in endpoints.yml bounds the connection and each statement.

Before saving, the new events are rewritten: user message text (and the parse
data: text, entity values) goes through `bot.shared.redaction`; the clear values the
file-status form extracts into its slots are replaced by placeholders; the client's
metadata of a user message is redacted too; a bot answer that holds the member's file
(utter_file_status_<state>, contributions, next step) is stored as "<FILE STATUS>", any
other bot text redacted. The count of
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

import asyncio
import concurrent.futures
import itertools
import json
import logging
import threading
import time
from typing import Any, Awaitable, Callable, Dict, Iterable, Iterator, List, Optional, Tuple, TypeVar

import sqlalchemy as sa
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.constants import ACTION_LISTEN_NAME, REQUESTED_SLOT
from rasa.shared.core.events import ActionExecuted, ActiveLoop, Event, SessionStarted, SlotSet
from rasa.shared.core.trackers import DialogueStateTracker

from bot.shared.slots import BIRTH_DATE_OUTCOMES, BIRTH_DATE_SLOT, IDENTIFIER_SLOT
from bot.shared.identifiers import is_masked
from bot.shared.redaction import PLACEHOLDERS, redact, redact_answer

logger = logging.getLogger(__name__)
T = TypeVar("T")

FORM = "file_status_form"
SENSITIVE_ENTITIES = {"cin": PLACEHOLDERS["cin"], "immatriculation": PLACEHOLDERS["id"], "birth_date": PLACEHOLDERS["date"]}
# What the form's validation leaves in its slots is safe; anything else is what the
# slot mappings extracted from the member's message, before validation.
SAFE_SLOT_VALUES = {IDENTIFIER_SLOT: is_masked, BIRTH_DATE_SLOT: lambda value: value in BIRTH_DATE_OUTCOMES}
SLOT_PLACEHOLDERS = {IDENTIFIER_SLOT: PLACEHOLDERS["id"], BIRTH_DATE_SLOT: PLACEHOLDERS["date"]}


class TrackerStoreUnavailable(RuntimeError):
    """The conversation database did not answer in time, or not at all."""


_thread_loops = threading.local()


def _run_in_this_thread(coroutine: Awaitable[T]) -> T:
    """Runs one of SQLTrackerStore's `async def` methods (synchronous inside: no event
    broker, so nothing is really awaited) to completion in a worker thread."""
    loop = getattr(_thread_loops, "loop", None)
    if loop is None:
        loop = _thread_loops.loop = asyncio.new_event_loop()
    return loop.run_until_complete(coroutine)


class RedactingSQLTrackerStore(SQLTrackerStore):
    """SQLTrackerStore that stores redacted events only, in bounded sessions, fails
    loudly and never blocks the event loop."""

    # Read by bot/server/rasa_patches.py: errors of this store are raised, not hidden.
    fails_loudly = True

    def __init__(
        self,
        *args: Any,
        session_events_limit: Optional[int] = None,
        call_timeout: float = 10.0,
        db_threads: int = 8,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.session_events_limit = int(session_events_limit) if session_events_limit else None
        self.call_timeout = float(call_timeout)
        # Our own threads: a hung database holds these, not the default executor the
        # rest of the server (and the channels) use.
        self._executor = concurrent.futures.ThreadPoolExecutor(int(db_threads), thread_name_prefix="tracker-db")
        self._tables_ready = False
        self._tables_lock = threading.Lock()
        try:
            self.ensure_tables()
        except Exception as error:  # noqa: BLE001 - created on the first call that reaches it
            logger.error(
                "Tracker store: the conversation database is unreachable at start (%s); turns fail and "
                "/health/ready answers 503 until it is back, then its tables are created.", type(error).__name__,
            )

    def ensure_tables(self) -> None:
        """Creates the tables if they are missing (blocking); once per process once it worked."""
        if self._tables_ready:
            return
        with self._tables_lock:
            if not self._tables_ready:
                self.Base.metadata.create_all(self.engine)
                self._tables_ready = True
                logger.info("Tracker store: tables present in the conversation database.")

    def check(self) -> None:
        """Raises unless the database answers and the events table is there (blocking)."""
        self.ensure_tables()
        with self.engine.connect() as connection:
            connection.execute(sa.text("SELECT 1 FROM events LIMIT 1")).all()

    async def in_thread(self, call: Callable[[], T], what: str) -> T:
        """`call()` in a database thread, bounded by `call_timeout`."""
        def run() -> T:
            self.ensure_tables()
            return call()

        future = asyncio.get_running_loop().run_in_executor(self._executor, run)
        try:
            return await asyncio.wait_for(future, self.call_timeout)
        except asyncio.TimeoutError:
            logger.error("Tracker store: %s did not finish within %.0f s (database hung?)", what, self.call_timeout)
            raise TrackerStoreUnavailable(f"{what} timed out after {self.call_timeout:.0f} s") from None
        except Exception as error:
            logger.error("Tracker store: %s failed: %s", what, type(error).__name__)
            raise

    async def retrieve(self, sender_id: str) -> Optional[DialogueStateTracker]:
        return await self.in_thread(lambda: _run_in_this_thread(super(RedactingSQLTrackerStore, self)
                                                                 .retrieve(sender_id)), "retrieve")

    async def retrieve_full_tracker(self, conversation_id: str) -> Optional[DialogueStateTracker]:
        return await self.in_thread(lambda: _run_in_this_thread(super(RedactingSQLTrackerStore, self)
                                                                 .retrieve_full_tracker(conversation_id)),
                                    "retrieve_full_tracker")

    async def keys(self) -> Iterable[str]:
        return await self.in_thread(lambda: _run_in_this_thread(super(RedactingSQLTrackerStore, self).keys()), "keys")

    async def save(self, tracker: DialogueStateTracker) -> None:
        def save() -> None:
            _run_in_this_thread(super(RedactingSQLTrackerStore, self).save(tracker))
            if self._session_is_full(tracker):
                self._start_new_session(tracker)

        await self.in_thread(save, "save")

    def _additional_events(self, session: Any, tracker: DialogueStateTracker) -> Iterator[Event]:
        new = list(super()._additional_events(session, tracker))
        before = itertools.islice(tracker.events, len(tracker.events) - len(new))
        redacted = redact_events([event.as_dict() for event in new], _form_context(before))
        return iter([Event.from_parameters(data) for data in redacted])

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
            # The client fills it (web chat, REST): anything may be in it.
            event["metadata"] = _deep_redact(event.get("metadata") or {}, scrub, keys=True)
        elif kind == "bot":
            event.update(_redact_bot(event))
        redacted.append(event)
    return redacted


# The bot's answers that hold the member's file (state, dates, last month paid,
# beneficiaries): stored as a placeholder only. The other file-status answers
# (mismatch, locked, unavailable) say nothing of a file and are kept, redacted.
PRIVATE_BOT_PREFIX = "utter_file_status_"
NOT_PRIVATE_BOT = {
    "utter_file_status_mismatch", "utter_file_status_start_again", "utter_file_status_locked_minutes",
    "utter_file_status_locked_hours", "utter_file_status_unavailable",
}
FILE_STATUS_PLACEHOLDER = "<FILE STATUS>"


def _redact_bot(event: Dict[str, Any]) -> Dict[str, Any]:
    metadata = event.get("metadata") or {}
    response = str(metadata.get("utter_action") or "")
    if response.startswith(PRIVATE_BOT_PREFIX) and response not in NOT_PRIVATE_BOT:
        return {"text": FILE_STATUS_PLACEHOLDER, "data": {}, "metadata": {"utter_action": "utter_file_status"}}
    return {
        "text": redact(event["text"]) if event.get("text") else event.get("text"),
        "data": _deep_redact(event.get("data") or {}, redact),
        "metadata": _deep_redact(metadata, redact),
    }


def _slot_value(name: str, value: Any) -> Any:
    if value is None or (isinstance(value, str) and SAFE_SLOT_VALUES[name](value)):
        return value
    return SLOT_PLACEHOLDERS[name]


def _redact_parse_data(parse_data: Dict[str, Any], scrub: Callable[[str], str]) -> Dict[str, Any]:
    parse_data = _deep_redact(parse_data, scrub, keys=True)  # keys too: the metadata is the client's
    for entity in parse_data.get("entities") or []:
        if isinstance(entity, dict) and entity.get("entity") in SENSITIVE_ENTITIES:
            entity["value"] = SENSITIVE_ENTITIES[entity["entity"]]
    return parse_data


def _deep_redact(value: Any, scrub: Callable[[str], str], keys: bool = False) -> Any:
    if isinstance(value, str):
        return scrub(value)
    if isinstance(value, dict):
        return {
            (scrub(key) if keys and isinstance(key, str) else key): _deep_redact(item, scrub, keys)
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [_deep_redact(item, scrub, keys) for item in value]
    return value
