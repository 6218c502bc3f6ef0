"""Follow-ups that keep the context of the previous answer."""
import asyncio

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.followups import ANSWER_FOR_BENEFICIARY, ActionAnswerBeneficiaryType
from tests.helpers import replied
from tests.helpers import DOMAIN


def answer_for(entities):
    tracker = Tracker("t", {"language": "fr"}, {"intent": {"name": "inform"}, "entities": entities, "text": "x"},
                      [], False, None, {}, "action_listen")
    dispatcher = CollectingDispatcher()
    asyncio.run(ActionAnswerBeneficiaryType().run(dispatcher, tracker, {}))
    return [m["response"] for m in dispatcher.messages]


def beneficiary(value):
    return {"entity": "beneficiary_type", "value": value}


@pytest.mark.parametrize("value", sorted(ANSWER_FOR_BENEFICIARY))
def test_one_kind_of_dependant_gets_its_own_answer(value):
    assert answer_for([beneficiary(value)]) == [ANSWER_FOR_BENEFICIARY[value]]
    assert ANSWER_FOR_BENEFICIARY[value] in DOMAIN.responses


def test_the_longest_of_overlapping_matches_wins():
    matches = [
        {"entity": "beneficiary_type", "value": "child", "start": 2, "end": 6},
        {"entity": "beneficiary_type", "value": "disabled_child", "start": 2, "end": 11},
    ]
    assert answer_for(matches) == ["utter_followup_beneficiary_disabled_child"]


@pytest.mark.parametrize(
    "entities",
    [[], [beneficiary("spouse"), beneficiary("child")], [beneficiary("cousin")], [{"entity": "city", "value": "x"}]],
)
def test_none_several_or_unknown_dependants_get_the_general_answer(entities):
    assert answer_for(entities) == ["utter_ask_beneficiaries_who"]


def test_and_my_children_after_the_dependants_answer(conversation):
    assert replied(conversation.say("chkoun li ymkn nzidhom m3aya f AMO?"), "utter_ask_beneficiaries_who", "dar")
    assert replied(conversation.say("w wladi?"), "utter_followup_beneficiary_child", "dar")


def test_et_pour_mes_enfants_in_french(conversation):
    assert replied(conversation.say("Qui peut être couvert avec moi par l'AMO ?"), "utter_ask_beneficiaries_who", "fr")
    assert replied(conversation.say("et pour mes enfants ?"), "utter_followup_beneficiary_child", "fr")


def test_how_much_after_the_cpu_answer_is_the_cpu_amount(conversation):
    assert replied(conversation.say("ana kankhelles CPU, chno khassni n3ref 3la AMO?"), "utter_ask_cpu_auto_entrepreneur", "dar")
    assert replied(conversation.say("ch7al?"), "utter_followup_cpu_contribution_amount", "dar")
