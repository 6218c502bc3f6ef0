"""The guided eligibility check: a Rasa form that asks what the member does and,
when the scheme depends on it, one follow-up question (actions/eligibility.py)."""
from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import eligibility

FOLLOW_UP_SLOTS = sorted(set(eligibility.QUESTION_FOR.values()))


class ValidateEligibilityForm(FormValidationAction):
    """Accepts a known profession category and keeps only the question it needs."""

    def name(self) -> Text:
        return "validate_eligibility_form"

    async def required_slots(
        self,
        domain_slots: List[Text],
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> List[Text]:
        category = tracker.get_slot("profession")
        question = eligibility.question_for(category) if eligibility.is_category(category) else None
        return [slot for slot in domain_slots if slot not in FOLLOW_UP_SLOTS or slot == question]

    def validate_profession(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[Text, Any]:
        if eligibility.is_category(value):
            return {"profession": value}
        dispatcher.utter_message(response="utter_profession_not_recognised")
        return {"profession": None}


class ActionEligibilityResult(Action):
    """Tells the member which scheme applies; keeps the profession for later questions."""

    def name(self) -> Text:
        return "action_eligibility_result"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[Dict[Text, Any]]:
        category = tracker.get_slot("profession")
        answers = {slot: tracker.get_slot(slot) for slot in FOLLOW_UP_SLOTS}
        result = eligibility.outcome(category, answers) if eligibility.is_category(category) else None
        dispatcher.utter_message(response=f"utter_eligibility_{result}" if result else "utter_check_eligibility")
        return [SlotSet(slot, None) for slot in FOLLOW_UP_SLOTS]
