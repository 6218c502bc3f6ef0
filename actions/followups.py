"""Short follow-ups that only make sense after the previous answer, such as
"w wladi?" right after the answer about dependants (rules in data/rules.yml)."""
from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

# beneficiary_type entity value (data/lookups/beneficiary_type.yml) -> answer.
ANSWER_FOR_BENEFICIARY = {
    "spouse": "utter_followup_beneficiary_spouse",
    "child": "utter_followup_beneficiary_child",
    "student_child": "utter_followup_beneficiary_student_child",
    "disabled_child": "utter_followup_beneficiary_disabled_child",
    "parent": "utter_followup_beneficiary_parent",
    "ex_spouse": "utter_followup_beneficiary_divorce",
    "surviving_spouse": "utter_followup_beneficiary_surviving_spouse",
    "both_parents_insured": "utter_followup_beneficiary_both_parents_insured",
    "remove": "utter_followup_beneficiary_remove",
}
# "retirer mon ex-femme": removing someone is the question, whoever it is.
WINS_OVER_OTHERS = ("remove",)
# Asked how to declare a spouse or a child: the answer on declaring, not on who is covered.
DECLARE_ANSWER = "utter_ask_beneficiaries_declare"
DECLARED_THE_USUAL_WAY = {"spouse", "child"}


class ActionAnswerBeneficiaryType(Action):
    """Answers for the one kind of dependant the member named, else in general."""

    def name(self) -> Text:
        return "action_answer_beneficiary_type"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[Dict[Text, Any]]:
        found = [e for e in tracker.latest_message.get("entities") or [] if e.get("entity") == "beneficiary_type"]
        named = {entity.get("value") for entity in found if not _inside_another(entity, found)}
        intent = (tracker.latest_message.get("intent") or {}).get("name")
        dispatcher.utter_message(response=answer_for(named, intent))
        return []


def answer_for(named: set, intent: Text = "") -> Text:
    """The follow-up answer for the dependants named in one message."""
    for value in WINS_OVER_OTHERS:
        if value in named:
            return ANSWER_FOR_BENEFICIARY[value]
    answers = {ANSWER_FOR_BENEFICIARY[value] for value in named if value in ANSWER_FOR_BENEFICIARY}
    if intent == "ask_beneficiaries_declare" and (not answers or named <= DECLARED_THE_USUAL_WAY):
        return DECLARE_ANSWER
    return answers.pop() if len(answers) == 1 else "utter_ask_beneficiaries_who"


def _inside_another(entity: Dict[Text, Any], others: List[Dict[Text, Any]]) -> bool:
    """"wldi m3a9" also contains the lookup match "wldi": the longer match wins."""
    start, end = entity.get("start"), entity.get("end")
    if start is None or end is None:
        return False
    return any(
        other is not entity and other.get("start", start) <= start and end <= other.get("end", end)
        and (other.get("end", end) - other.get("start", start)) > end - start
        for other in others
    )
