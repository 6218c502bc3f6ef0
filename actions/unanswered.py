"""Records the member message a turn left unanswered (see bot/shared/unanswered.py)."""
from __future__ import annotations

import logging
from concurrent.futures import Executor, ThreadPoolExecutor
from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from bot.shared.unanswered import UnansweredStore, create_engine, unanswered_question

logger = logging.getLogger(__name__)

# One writer thread: the turn never waits for the database, and SQLite sees one
# writer at a time.
_WRITER = ThreadPoolExecutor(max_workers=1, thread_name_prefix="unanswered")


def _store_from_environment() -> Optional[UnansweredStore]:
    try:
        return UnansweredStore(create_engine())
    except Exception as error:  # noqa: BLE001 - a bad URL must not stop the action server
        logger.error("Unanswered messages will not be recorded: bad database URL (%s)", type(error).__name__)
        return None


class ActionRecordUnanswered(Action):
    """Runs after a fallback, out-of-scope or "not helpful" reply; utters nothing."""

    def __init__(
        self, store: Optional[UnansweredStore] = None, writer: Executor = _WRITER
    ) -> None:
        self._store = store if store is not None else _store_from_environment()
        self._writer = writer

    def name(self) -> Text:
        return "action_record_unanswered"

    async def run(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> List[Dict[Text, Any]]:
        question = unanswered_question(tracker.events, tracker.get_slot("language"))
        if question is not None and self._store is not None:
            # not awaited: UnansweredStore.record logs and swallows its own failures
            self._writer.submit(self._store.record, question, tracker.sender_id)
        return []
