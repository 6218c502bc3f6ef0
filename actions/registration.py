"""Registration steps per group (TNS on a list, TNS on no list, Achamil, Tadamon,
salaried, students, pensioners), answers in knowledge/registration/<group>.yml.

`response_for()` is a pure mapping; the action only reads what the member said in
this message (a `registration_group`, `profession` or `employment` entity) or earlier
(the eligibility outcome, the profession slot), and answers that group's steps, or
asks which group when nothing says it.
"""
from __future__ import annotations

from typing import Any, Dict, Iterable, List, Optional, Text, Tuple

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

GROUPS = ("tns_listed", "tns_unlisted", "achamil", "tadamon", "salaried", "student", "pensioner")
ASK_GROUP = "utter_ask_registration_group"

# Eligibility outcome (knowledge/eligibility/) -> group, or the outcome's own answer
# when the member has nothing to register (already covered, CNOPS).
GROUP_OF_OUTCOME: Dict[str, str] = {
    "tns_cpu": "tns_listed",
    "tns_auto_entrepreneur": "tns_listed",
    "tns_liberal": "tns_listed",
    "tns_driver": "tns_listed",
    "tns_trader": "tns_listed",
    # No liaison body is known for farmers (facts 2.5); other TNS are on no list.
    "tns_farmer": "tns_unlisted",
    "tns_other": "tns_unlisted",
    "achamil": "achamil",
    "tadamon": "tadamon",
    "salaried": "salaried",
    "student_own": "student",
    "student_unsure": "student",
    "retired": "pensioner",
}
OWN_ANSWER = {
    "public_servant": "utter_eligibility_public_servant",
    "retired_public": "utter_eligibility_retired_public",
    "covered_as_dependant": "utter_eligibility_covered_as_dependant",
    "student_dependant": "utter_eligibility_student_dependant",
}
# Profession category (actions/eligibility.py) -> group; ambiguous jobs have none.
GROUP_OF_PROFESSION: Dict[str, str] = {
    "trader": "tns_listed",
    "artisan": "tns_listed",
    "auto_entrepreneur": "tns_listed",
    "liberal": "tns_listed",
    "driver": "tns_listed",
    "farmer": "tns_unlisted",
    "own_account": "tns_unlisted",
    "salaried": "salaried",
    "student": "student",
    "retired": "pensioner",
}
GROUP_OF_EMPLOYMENT = {"salaried": "salaried"}
PROFESSION_ANSWER = {"public_servant": "utter_eligibility_public_servant"}


def response_for(
    said: Iterable[Tuple[str, str]], outcome: Optional[str] = None, profession: Optional[str] = None
) -> str:
    """The response to give: `said` holds this message's (entity, value) pairs."""
    said = list(said)
    for entity, value in said:
        if entity == "registration_group" and value in GROUPS:
            return f"utter_registration_{value}"
    for entity, value in said:
        if entity == "profession" and value in GROUP_OF_PROFESSION:
            return f"utter_registration_{GROUP_OF_PROFESSION[value]}"
        if entity == "profession" and value in PROFESSION_ANSWER:
            return PROFESSION_ANSWER[value]
        if entity == "employment" and value in GROUP_OF_EMPLOYMENT:
            return f"utter_registration_{GROUP_OF_EMPLOYMENT[value]}"
    if said:  # named something, but not a group ("chauffeur"): ask rather than guess
        return ASK_GROUP
    if outcome in GROUP_OF_OUTCOME:
        return f"utter_registration_{GROUP_OF_OUTCOME[outcome]}"
    if outcome in OWN_ANSWER:
        return OWN_ANSWER[outcome]
    if profession in GROUP_OF_PROFESSION:
        return f"utter_registration_{GROUP_OF_PROFESSION[profession]}"
    return ASK_GROUP


class ActionRegistrationSteps(Action):
    """The registration steps of the member's group, or the question which group."""

    def name(self) -> Text:
        return "action_registration_steps"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[Dict[Text, Any]]:
        said = [
            (e.get("entity"), e.get("value"))
            for e in tracker.latest_message.get("entities") or []
            if e.get("entity") in ("registration_group", "profession", "employment")
        ]
        response = response_for(said, tracker.get_slot("eligibility_outcome"), tracker.get_slot("profession"))
        dispatcher.utter_message(response=response)
        return []
