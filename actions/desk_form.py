"""Where to go in person: a form that asks the city when the member did not name
one, then names the nearest chamber desk or points to the CNSS agencies."""
from __future__ import annotations

from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.desks import load_places
from bot.shared.languages import LANGUAGE_SLOT, reply_language

OTHER_CITY = "other"
# Answers to "which city?" that name no city we know: the member still gets the
# general answer instead of the same question again.
NO_KNOWN_CITY_INTENTS = {"inform", "dont_know", "deny"}
PLACES = load_places()


class ValidateDeskForm(FormValidationAction):
    def name(self) -> Text:
        return "validate_desk_form"

    async def extract_city(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[Text, Any]:
        if tracker.get_slot("requested_slot") != "city" or tracker.get_slot("city"):
            return {}
        intent = (tracker.latest_message.get("intent") or {}).get("name")
        return {"city": OTHER_CITY} if intent in NO_KNOWN_CITY_INTENTS else {}

    def validate_city(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[Text, Any]:
        if isinstance(value, list):
            value = value[0] if value else None
        return {"city": value if isinstance(value, str) and value.strip() else OTHER_CITY}


class ActionFindDesk(Action):
    def name(self) -> Text:
        return "action_find_desk"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[Dict[Text, Any]]:
        city = tracker.get_slot("city")
        if city == OTHER_CITY:
            # A city we do not list may still be near a desk: the general answer
            # names them all. "other" only answered this question: forget it.
            dispatcher.utter_message(response="utter_find_desk")
            return [SlotSet("city", None)]
        desk = PLACES.nearest_desk(city)
        if desk is None:
            dispatcher.utter_message(response="utter_desk_outside_region")
            return []
        language = reply_language(tracker.get_slot(LANGUAGE_SLOT))
        dispatcher.utter_message(response="utter_desk_nearest", desk=desk.name[language])
        return []
