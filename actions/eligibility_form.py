"""The guided eligibility check: a Rasa form that asks, one at a time, only the
questions the rules of actions/eligibility.py still need, then gives the outcome."""
from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import eligibility

FOLLOW_UP_SLOTS = list(eligibility.FOLLOW_UP_SLOTS)
# Remembered after the check: the registration steps of the member's group
# (actions/registration.py) and the sources of the answer given.
OUTCOME_SLOT = "eligibility_outcome"


def facts_of(tracker: Tracker) -> Dict[Text, Any]:
    return {slot: tracker.get_slot(slot) for slot in eligibility.QUESTIONS}


class ValidateEligibilityForm(FormValidationAction):
    """Keeps a known profession category and asks only what the rules need next."""

    def name(self) -> Text:
        return "validate_eligibility_form"

    async def required_slots(
        self,
        domain_slots: List[Text],
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> List[Text]:
        # The slots the rules looked at, the one still missing last: the form asks it.
        consulted = eligibility.decide(facts_of(tracker)).consulted
        return [slot for slot in consulted if slot in domain_slots or not domain_slots]

    def validate_profession(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[Text, Any]:
        if eligibility.is_category(value):
            return {"profession": value}
        dispatcher.utter_message(response="utter_profession_not_recognised")
        return {"profession": None}

    async def extract_rsu_score(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[Text, Any]:
        """A score typed as a number ("9,1") when the score was asked."""
        if tracker.get_slot("requested_slot") != eligibility.RSU or tracker.get_slot(eligibility.RSU):
            return {}
        band = eligibility.rsu_band(tracker.latest_message.get("text") or "")
        return {eligibility.RSU: band} if band else {}


class ActionEligibilityResult(Action):
    """Tells the member which scheme applies; keeps the profession and the outcome,
    clears the answers so that a new check can be made."""

    def name(self) -> Text:
        return "action_eligibility_result"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[Dict[Text, Any]]:
        result = eligibility.outcome(facts_of(tracker))
        dispatcher.utter_message(response=f"utter_eligibility_{result}" if result else "utter_check_eligibility")
        return [SlotSet(slot, None) for slot in FOLLOW_UP_SLOTS] + [SlotSet(OUTCOME_SLOT, result)]
