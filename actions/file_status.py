"""The member file-status look-up: a Rasa form that takes an identifier, then the
birth date, and an action that says where the file stands (actions/members/).

The clear identifier never stays in a slot: validation keeps it server-side
(pending_lookups) and sets the slot to a masked value. The birth date is checked
as soon as it is given and replaced by the outcome, so it is never kept either.
"""
from __future__ import annotations

import asyncio
import math
from datetime import date, datetime
from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.members import labels
from bot.shared.languages import LANGUAGE_SLOT, reply_language
from bot.shared.slots import BIRTH_DATE_SLOT, IDENTIFIER_SLOT, LOCKED, UNAVAILABLE, VERIFIED
from bot.shared.identifiers import MASK, Identifier, parse_birth_date, parse_identifier
from actions.members.service import (
    FileStatusService,
    Locked,
    LookupUnavailable,
    Mismatch,
    Verified,
    default_service,
)
from actions.members.status import CHANNEL_STATE, FileStatus, contributions_answer

REQUESTED_SLOT = "requested_slot"

# Up to this wait a lock is told in minutes, beyond it in hours.
LOCK_MINUTES_MAX = 90


def _service() -> FileStatusService:
    return default_service()


def _text(value: Any) -> str:
    """Slot candidates can be a list (several entities) or anything a client sent."""
    if isinstance(value, list):
        value = next((item for item in value if isinstance(item, str)), "")
    return value if isinstance(value, str) else ""


def _utter_locked(dispatcher: CollectingDispatcher, until: datetime, now: datetime) -> None:
    minutes = max(1, math.ceil((until - now).total_seconds() / 60))
    if minutes <= LOCK_MINUTES_MAX:
        dispatcher.utter_message(response="utter_file_status_locked_minutes", minutes=minutes)
    else:
        dispatcher.utter_message(response="utter_file_status_locked_hours", hours=math.ceil(minutes / 60))


def _finish(outcome: str) -> Dict[Text, Any]:
    """Fills both slots so the form ends; action_file_status then answers or not."""
    return {IDENTIFIER_SLOT: MASK, BIRTH_DATE_SLOT: outcome}


class ValidateFileStatusForm(FormValidationAction):
    """Checks the identifier's format, then verifies the birth date against the file."""

    def name(self) -> Text:
        return "validate_file_status_form"

    async def validate_member_identifier(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[Text, Any]:
        parsed = parse_identifier(_text(value))
        conversation = tracker.sender_id
        try:
            service = _service()
            if isinstance(parsed, Identifier):
                lock = await asyncio.to_thread(service.conversation_locked_until, conversation)
                if lock:
                    _utter_locked(dispatcher, lock, service.clock())
                    return _finish(LOCKED)
                await asyncio.to_thread(service.remember_identifier, conversation, parsed)
                return {IDENTIFIER_SLOT: parsed.masked}
            if parsed.code == "unusual_length":
                if await asyncio.to_thread(service.remember_unusual_number, conversation, parsed.candidate):
                    return {IDENTIFIER_SLOT: Identifier("immatriculation", parsed.candidate).masked}
                dispatcher.utter_message(response="utter_identifier_unusual_length")
                return {IDENTIFIER_SLOT: None}
        except LookupUnavailable:
            dispatcher.utter_message(response="utter_file_status_unavailable")
            return _finish(UNAVAILABLE)
        dispatcher.utter_message(response="utter_invalid_identifier")
        return {IDENTIFIER_SLOT: None}

    async def validate_member_birth_date(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[Text, Any]:
        try:
            service = _service()
            born = parse_birth_date(_text(value), service.clock().date())
            if not isinstance(born, date):
                dispatcher.utter_message(response="utter_invalid_birth_date")
                return {BIRTH_DATE_SLOT: None}
            outcome = await asyncio.to_thread(service.verify, tracker.sender_id, born)
        except LookupUnavailable:
            dispatcher.utter_message(response="utter_file_status_unavailable")
            return _finish(UNAVAILABLE)
        if isinstance(outcome, Verified):
            return {BIRTH_DATE_SLOT: VERIFIED}
        if isinstance(outcome, Locked):
            _utter_locked(dispatcher, outcome.until, service.clock())
            return _finish(LOCKED)
        if isinstance(outcome, Mismatch):
            # Says nothing of which part was wrong, says what to check (or 3939) and ends
            # the form: the member restarts with the message's button, never unasked.
            dispatcher.utter_message(response="utter_file_status_mismatch")
            return {IDENTIFIER_SLOT: None, BIRTH_DATE_SLOT: None, REQUESTED_SLOT: None}
        # The identifier given earlier expired: both are asked again.
        dispatcher.utter_message(response="utter_file_status_start_again")
        return {IDENTIFIER_SLOT: None, BIRTH_DATE_SLOT: None}


class ActionFileStatus(Action):
    """Tells a verified member where their file stands, then forgets the look-up."""

    def name(self) -> Text:
        return "action_file_status"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[Dict[Text, Any]]:
        if tracker.get_slot(BIRTH_DATE_SLOT) == VERIFIED:
            try:
                status = await asyncio.to_thread(_service().take_verified_status, tracker.sender_id)
            except LookupUnavailable:
                status = None
            if status is None:
                dispatcher.utter_message(response="utter_file_status_unavailable")
            else:
                _utter_status(dispatcher, status, reply_language(tracker.get_slot(LANGUAGE_SLOT)))
        return [SlotSet(IDENTIFIER_SLOT, None), SlotSet(BIRTH_DATE_SLOT, None)]


class ActionResetFileStatus(Action):
    """After the member stops the form: drops the identifier kept server-side and the slots."""

    def name(self) -> Text:
        return "action_reset_file_status"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[Dict[Text, Any]]:
        try:
            await asyncio.to_thread(_service().forget, tracker.sender_id)
        except LookupUnavailable:
            pass  # it expires by itself after 15 minutes
        return [SlotSet(IDENTIFIER_SLOT, None), SlotSet(BIRTH_DATE_SLOT, None)]


def _day(value: Optional[date]) -> str:
    return value.strftime("%d/%m/%Y") if value else ""


def _month(value: Optional[date]) -> str:
    return value.strftime("%m/%Y") if value else ""


def _utter_status(dispatcher: CollectingDispatcher, status: FileStatus, language: str) -> None:
    state = status.state
    if state == "suspended" and status.channel == CHANNEL_STATE:
        state = "suspended_tadamon"  # nothing to pay: not "for unpaid contributions"
    dispatcher.utter_message(
        response=f"utter_file_status_{state}",
        status_date=_day(status.state_date),
        missing_documents=labels.documents(status.missing_documents, language),
        rights_open_since=_day(status.rights_open_since),
        beneficiaries=labels.beneficiaries(status.beneficiaries, language),
        paid_until=_month(status.contributions_paid_until),
        rejection_reason=labels.rejection_reason(status.rejection_reason, language) if status.rejection_reason else "",
    )
    contributions = contributions_answer(status)
    if contributions:
        dispatcher.utter_message(
            response=f"utter_file_status_contributions_{contributions}",
            paid_until=_month(status.contributions_paid_until),
        )
    dispatcher.utter_message(response=f"utter_file_status_next_{status.next_step}")
